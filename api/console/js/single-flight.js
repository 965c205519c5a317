// Changes come in bursts: run `load` one at a time, and once more after it if asked again
// meanwhile, so an older answer never overwrites a newer one.

export function singleFlight(load) {
  let running = null;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return running;
    }
    running = load().finally(() => {
      running = null;
      if (again) {
        again = false;
        run();
      }
    });
    return running;
  };
  return run;
}
