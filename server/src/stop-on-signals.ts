/**
 * Stops a process cleanly on SIGINT or SIGTERM: `close` runs once, then the process exits (0 when it
 * resolved, 1 when it rejected). A stop signal often comes twice at once — a service manager or a
 * terminal signals the whole process group, and the `ringflag` command forwards its own — so later
 * ones are ignored: one taking Node's default action would end the process in the middle of closing
 * (a relay before it wrote its state, a server before it wrote its buffered counts).
 *
 * @example
 * stopOnSignals(() => server.close());
 */
export function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
