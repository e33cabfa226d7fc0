/**
 * Resolves with the first SIGTERM or SIGINT. A second signal while draining means "stop now": `lastChance`
 * runs (a synchronous flush) and the process exits with 128 + the signal number.
 */
export function untilSignal(lastChance: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!received) {
        received = true;
        resolve(signal);
        return;
      }
      try {
        lastChance();
      } finally {
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
