import { expect } from 'chai'
import { startStack } from '@postee/testkit'

describe('require_tls: false is explicit and logged (a dispatcher process)', function () {
  this.timeout(60_000)

  it('the dispatcher warns at start, naming the output; with require_tls on (the default) it does not', async () => {
    const item = (name: string, extra: string) =>
      `- name: ${name}\n  type: email\n  enable: true\n  host: 127.0.0.1\n  port: 2525\n  user: postee@corp.example\n  password: pw\n  recipients: [ops@corp.example]\n${extra}`
    const stack = await startStack({ config: `${item('lab-relay', '  require_tls: false\n')}${item('safe-relay', '')}` })
    try {
      const log = stack.dispatchers[0]!.output()
      expect(log).to.match(/"output":"lab-relay".*require_tls is false|require_tls is false.*"output":"lab-relay"/)
      expect(log).to.not.match(/"output":"safe-relay".*require_tls is false|require_tls is false.*"output":"safe-relay"/)
    } finally {
      await stack.stop()
    }
  })
})
