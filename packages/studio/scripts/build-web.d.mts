/** One file the page build wrote. */
export interface BuiltFile {
  readonly name: string;
  readonly bytes: number;
  readonly entry: boolean;
  readonly css: boolean;
}

/** Bundles the studio page into `outDir` (default the package's `dist/public`). */
export function buildWeb(options?: { outDir?: string; minify?: boolean }): Promise<BuiltFile[]>;
