// What landed in a container or bucket, line by line, and counting the `{ seq }` rows the load children send.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { BlobServiceClient } from '@azure/storage-blob';
import { assemble, splitPartName } from '@model-data-collector/s3/internal';

/** Every line stored under `prefix` of a container, by blob name. */
export async function azureLines(
  service: BlobServiceClient,
  container: string,
  prefix = '',
): Promise<Map<string, string[]>> {
  const c = service.getContainerClient(container);
  const out = new Map<string, string[]>();
  for await (const b of c.listBlobsFlat({ prefix })) {
    if (!b.name.endsWith('.jsonl')) continue;
    const body = await c.getBlobClient(b.name).downloadToBuffer();
    out.set(b.name, splitLines(body.toString('utf8')));
  }
  return out;
}

/** Every line stored under `prefix` of a bucket, by file, whole objects and parts put together as a reader does. */
export async function s3Lines(client: S3Client, bucket: string, prefix = ''): Promise<Map<string, string[]>> {
  const objects: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) objects.push({ key: o.Key!, size: o.Size ?? 0 });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  const files = new Map<
    string,
    { whole?: { key: string; size: number }; parts: { key: string; offset: number; size: number }[] }
  >();
  for (const o of objects) {
    const { file, offset } = splitPartName(o.key);
    if (!file.endsWith('.jsonl')) continue;
    const f = files.get(file) ?? { parts: [] };
    if (offset === undefined) f.whole = o;
    else f.parts.push({ ...o, offset });
    files.set(file, f);
  }
  const out = new Map<string, string[]>();
  for (const [file, f] of files) {
    const { pieces, gap } = assemble(f.whole, f.parts);
    if (gap) throw new Error(`${file}: a part is missing`);
    const bufs: Buffer[] = [];
    for (const p of pieces) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: p.key }));
      const body = Buffer.from(await r.Body!.transformToByteArray());
      bufs.push(body.subarray(p.skip, p.skip + p.size));
    }
    out.set(file, splitLines(Buffer.concat(bufs).toString('utf8')));
  }
  return out;
}

function splitLines(text: string): string[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('a stored file ends in a partial line');
  return text.split('\n').filter((l) => l !== '');
}

/** The `seq` of each stored event (the load children send `{ seq }` rows), checking each line is an event. */
export function seqs(files: Map<string, string[]>): number[] {
  const out: number[] = [];
  for (const lines of files.values()) {
    for (const line of lines) {
      const ev = JSON.parse(line) as { id: string; data: { seq: number }[] };
      out.push(ev.data[0]!.seq);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Asserts helper: duplicates and missing numbers of `got` against 0..n-1. */
export function tally(got: readonly number[], n: number): { lost: number[]; duplicated: number[] } {
  const seen = new Map<number, number>();
  for (const s of got) seen.set(s, (seen.get(s) ?? 0) + 1);
  const lost: number[] = [];
  for (let i = 0; i < n; i++) if (!seen.has(i)) lost.push(i);
  const duplicated = [...seen].filter(([, c]) => c > 1).map(([s]) => s);
  return { lost, duplicated };
}
