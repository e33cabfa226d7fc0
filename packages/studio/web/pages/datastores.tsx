import type { DatastoreSummary, FilePage, RecordResponse, TreeResponse } from '../../src/api-types.js';
import { apiUrl, useApi } from '../api.js';
import { Crumbs, JsonView, status } from '../components.js';
import { ago, bytes, count, time } from '../format.js';
import { href, type Route } from '../router.js';

export function DatastoresPage(props: { route: Route }) {
  const [, ds, sub] = props.route.segments;
  const path = props.route.params.get('path') ?? '';
  if (ds && sub === 'file') return <FileView ds={ds} path={path} route={props.route} />;
  if (ds) return <FolderView ds={ds} path={path} />;
  return <DatastoreList />;
}

function DatastoreList() {
  const l = useApi<{ datastores: DatastoreSummary[] }>(apiUrl('datastores'));
  return (
    <>
      <h1>Datastores</h1>
      {status(l) ?? (
        <div class="scroll">
          <table class="data" data-testid="datastores">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th class="r">Files</th>
                <th class="r">Size</th>
                <th class="wide">Location</th>
              </tr>
            </thead>
            <tbody>
              {l.data?.datastores.map((d) => (
                <tr key={d.name}>
                  <td>
                    <a href={href(['datastores', d.name])}>{d.name}</a>
                  </td>
                  <td>{d.type}</td>
                  <td class="r">{count(d.files)}</td>
                  <td class="r">{bytes(d.bytes)}</td>
                  <td class="wide">
                    <code>{d.location}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Breadcrumbs of a path inside a datastore; each folder is a link. */
function pathCrumbs(ds: string, path: string, last?: string): (readonly [string, string?])[] {
  const parts = path ? path.split('/') : [];
  const items: (readonly [string, string?])[] = [
    ['Datastores', href(['datastores'])],
    [ds, href(['datastores', ds])],
  ];
  parts.forEach((p, i) => {
    const to = parts.slice(0, i + 1).join('/');
    items.push(
      i === parts.length - 1 && last === undefined ? [p] : [p, href(['datastores', ds], { path: to })],
    );
  });
  if (last !== undefined) items.push([last]);
  return items;
}

function FolderView(props: { ds: string; path: string }) {
  const l = useApi<TreeResponse>(
    apiUrl(`datastores/${encodeURIComponent(props.ds)}/tree`, { path: props.path }),
  );
  return (
    <>
      <Crumbs items={pathCrumbs(props.ds, props.path)} />
      {status(l) ?? (
        <>
          <p class="muted uri">
            <code>{l.data?.uri}</code>
          </p>
          <div class="scroll">
            <table class="data" data-testid="tree">
              <thead>
                <tr>
                  <th>Name</th>
                  <th class="r">Files</th>
                  <th class="r">Size</th>
                  <th class="r">Modified</th>
                </tr>
              </thead>
              <tbody>
                {l.data?.items.map((i) => (
                  <tr key={i.path}>
                    <td>
                      <a
                        class={i.kind}
                        href={
                          i.kind === 'folder'
                            ? href(['datastores', props.ds], { path: i.path })
                            : href(['datastores', props.ds, 'file'], { path: i.path })
                        }
                      >
                        {i.kind === 'folder' ? `${i.name}/` : i.name}
                      </a>
                    </td>
                    <td class="r">{count(i.files)}</td>
                    <td class="r">{bytes(i.bytes)}</td>
                    <td class="r" title={i.modifiedMs ? time(i.modifiedMs) : ''}>
                      {i.modifiedMs ? ago(i.modifiedMs) : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {l.data?.items.length === 0 && <p class="muted">Empty folder.</p>}
          </div>
        </>
      )}
    </>
  );
}

function FileView(props: { ds: string; path: string; route: Route }) {
  const offset = props.route.params.get('offset') ?? '0';
  const record = props.route.params.get('record') ?? undefined;
  const base = `datastores/${encodeURIComponent(props.ds)}`;
  const l = useApi<FilePage>(apiUrl(`${base}/file`, { path: props.path, offset, limit: 50 }));
  const r = useApi<RecordResponse>(
    record === undefined ? undefined : apiUrl(`${base}/record`, { path: props.path, offset: record }),
  );
  const name = props.path.split('/').at(-1) ?? props.path;
  const folder = props.path.split('/').slice(0, -1).join('/');
  const here = (p: Record<string, string | number | undefined>) =>
    href(['datastores', props.ds, 'file'], { path: props.path, offset, ...p });
  const page = l.data;
  return (
    <>
      <Crumbs items={pathCrumbs(props.ds, folder, name)} />
      {status(l) ??
        (page && (
          <>
            <p class="muted uri">
              <code>{page.uri}</code> · {bytes(page.size)}
              {page.kind === 'jsonl' && page.size > 0 && (
                <>
                  {' '}
                  · showing bytes {count(page.offset)}–{count(page.nextOffset ?? page.size)}
                </>
              )}
            </p>
            {page.kind === 'other' ? (
              <pre class="json">{page.head}</pre>
            ) : (
              <div class={record !== undefined ? 'split' : ''}>
                <div>
                  <div class="scroll">
                    <table class="data" data-testid="file-rows">
                      <thead>
                        <tr>
                          <th>Time</th>
                          <th>Correlation id</th>
                          <th class="r">Rows</th>
                          <th>Data</th>
                          <th />
                        </tr>
                      </thead>
                      <tbody>
                        {page.rows.map((row) => (
                          <tr
                            key={row.offset}
                            class={String(row.offset) === record ? 'selected' : row.invalid ? 'invalid' : ''}
                          >
                            <td class="nowrap">{time(row.time)}</td>
                            <td>
                              {row.correlationid ? (
                                <a class="cid" href={href(['requests', row.correlationid])}>
                                  {row.correlationid}
                                </a>
                              ) : (
                                ''
                              )}
                            </td>
                            <td class="r">{row.rows ?? ''}</td>
                            <td class="preview">
                              <code>{row.invalid ? `(incomplete line) ${row.preview}` : row.preview}</code>
                            </td>
                            <td>
                              {!row.invalid && (
                                <a class="button" href={here({ record: row.offset })} data-testid="raw-link">
                                  Raw
                                </a>
                              )}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <div class="pager">
                    <a
                      class={page.offset === 0 ? 'disabled' : ''}
                      href={page.offset === 0 ? undefined : here({ offset: 0, record: undefined })}
                    >
                      ⇤ First
                    </a>
                    <a
                      class={page.nextOffset === undefined ? 'disabled' : ''}
                      href={
                        page.nextOffset === undefined
                          ? undefined
                          : here({ offset: page.nextOffset, record: undefined })
                      }
                    >
                      Next →
                    </a>
                  </div>
                </div>
                {record !== undefined && (
                  <aside class="panel" data-testid="record-panel">
                    <div class="panel-head">
                      <strong>Record at byte {record}</strong>
                      <a href={here({ record: undefined })} aria-label="Close">
                        ✕
                      </a>
                    </div>
                    {status(r) ?? (r.data && <JsonView value={r.data.record} testid="record-json" />)}
                  </aside>
                )}
              </div>
            )}
          </>
        ))}
    </>
  );
}
