import { InvalidOptionError } from 'model-data-collector/internal';

const UNIT_MS = { W: 604_800_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 } as const;

/**
 * An ISO 8601 duration (`P7D`, `PT1H`, `P1DT12H`, `PT30M`, `P2W`) in milliseconds. Years and months have no
 * fixed length, so they are refused: write days instead. Returns undefined when the text is not a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const m =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
      text.trim(),
    );
  if (!m || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, w, d, h, mi, s] = m;
  return (
    Number(w ?? 0) * UNIT_MS.W +
    Number(d ?? 0) * UNIT_MS.D +
    Number(h ?? 0) * UNIT_MS.H +
    Number(mi ?? 0) * UNIT_MS.M +
    Number(s ?? 0) * UNIT_MS.S
  );
}

/** {@link parseDurationMs} for options: throws MDC_INVALID_OPTION naming the option. */
export function durationOption(text: string, what: string, allowZero = false): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || (!allowZero && ms <= 0))
    throw new InvalidOptionError(
      `${what} ${JSON.stringify(text)} is not an ISO 8601 duration${allowZero ? '' : ' above zero'} (e.g. P7D, PT1H, P1DT12H; years and months are not supported, use days)`,
    );
  return ms;
}
