import cliProgress from 'cli-progress';

/** A progress display; `update` is cheap to call. */
export interface Progress {
  readonly update: (processed: number, now: number) => void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal; otherwise nothing. */
export function createProgress(enabled: boolean, estimatedRows: number | null): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: estimatedRows
        ? ' {bar} {percentage}% | {value} events | {date}'
        : ' {value} events | {date}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let total = estimatedRows ?? 0;
  let done = 0;
  bar.start(total || 1, 0, { date: '' });
  return {
    update: (processed, now) => {
      done = processed;
      if (processed > total) bar.setTotal((total = Math.ceil(processed * 1.05)));
      bar.update(processed, { date: new Date(now).toISOString().slice(0, 16) });
    },
    stop: () => {
      bar.setTotal(done || 1);
      bar.update(done);
      bar.stop();
    },
  };
}
