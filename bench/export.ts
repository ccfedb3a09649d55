import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { statusKb } from './process-usage.js';

/**
 * `GET /v1/export/turns` of the whole index through a `serve` process of its own: rows per second
 * as the client reads them, and how far the process's resident memory rose above what it was before
 * the export (sampled from /proc every 25 ms). VmHWM cannot be reset, and the process's own start
 * (and the search phase, in another process) would hide in it; the rise over the export is what the
 * target is about.
 */
export type ExportResult = { format: string; rows: number; totalHits: number; seconds: number; rowsPerSecond: number; mb: number; rssBeforeMb: number; rssGrowthMb: number };

/** The process's resident memory now (0 once it is gone). */
const rssKb = (pid: number) => statusKb(pid, ['VmRSS'])?.VmRSS ?? 0;

/** Both formats, one after the other, after one small export has run the export's code once. */
export async function measureExports(apiUrl: string, pid: number): Promise<ExportResult[]> {
  const warm = await request(`${apiUrl}/v1/export/turns?q=weather&format=csv`);
  await warm.body.dump();
  return [await measureExport(apiUrl, pid, 'jsonl'), await measureExport(apiUrl, pid, 'csv')];
}

async function measureExport(apiUrl: string, pid: number, format: 'jsonl' | 'csv'): Promise<ExportResult> {
  const before = rssKb(pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssKb(pid));
  }, 25);
  const started = performance.now();
  try {
    const response = await request(`${apiUrl}/v1/export/turns?format=${format}`);
    if (response.statusCode !== 200) throw new Error(`export answered ${response.statusCode}: ${(await response.body.text()).slice(0, 200)}`);
    const totalHits = Number(response.headers['x-total-hits']);
    let bytes = 0;
    let records = 0;
    // A CSV field may hold line ends of its own, inside quotes; a doubled quote flips twice and changes nothing.
    let quoted = false;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (format === 'jsonl') {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) records++;
        continue;
      }
      for (const byte of chunk) {
        if (byte === 34) quoted = !quoted;
        else if (byte === 10 && !quoted) records++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, rssKb(pid));
    const rows = format === 'jsonl' ? records : records - 1;
    if (rows !== totalHits) throw new Error(`the ${format} export wrote ${rows} rows, its X-Total-Hits says ${totalHits}`);
    return { format, rows, totalHits, seconds, rowsPerSecond: rows / seconds, mb: bytes / 1024 / 1024, rssBeforeMb: before / 1024, rssGrowthMb: (peak - before) / 1024 };
  } finally {
    clearInterval(timer);
  }
}
