import { useTitle } from '../ui.js'

/** `/ui/findings`: finding lifecycle tracking has not landed in this build; nothing is made up. */
export function FindingsPage() {
  useTitle('Findings')
  return (
    <section aria-labelledby="findings-title">
      <h1 id="findings-title">Findings</h1>
      <p class="empty" role="status">
        Findings tracking is not available yet: this version of Postee does not keep the open and fixed state of each finding per image.
        Until it does, see each scan's findings and what changed since the previous scan on its page under <a href="/ui/scans">Scans</a>.
      </p>
    </section>
  )
}
