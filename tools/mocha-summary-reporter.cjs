'use strict'
// Mocha's spec reporter does not end with a line CI can read, so this one adds the plain
// closing line `N passed, N failed` (with skipped after it) once the run is over.
const Mocha = require('mocha')
const { EVENT_RUN_END } = Mocha.Runner.constants

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = runner.stats ?? {}
      process.stdout.write(`mocha: ${passes} passed, ${failures} failed, ${pending} skipped\n`)
    })
  }
}
module.exports = SummaryReporter
