import { request } from 'node:https'
import { expect } from 'chai'
import { INGEST_ENTRY, freePort, readFixture, startProcess, startStack, waitFor, type Stack } from '@postee/testkit'

/** POSTs over HTTPS without verifying (the pair is self-signed) and returns the status and the server certificate's fingerprint. */
function postHttps(port: number, body: Buffer): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/scan',
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('the HTTPS listener without a configured certificate (processes)', function () {
  this.timeout(60_000)
  let stack: Stack

  before(async () => {
    stack = await startStack({ config: '- name: hook\n  type: webhook\n  enable: true\n  url: http://127.0.0.1:9/hook\n', dispatchers: 0 })
  })
  after(async () => stack?.stop())

  it('generates a self-signed pair once, keeps it across restarts, and shares it between replicas', async () => {
    const ports = [await freePort(), await freePort()]
    const fingerprints: string[] = []
    for (const port of ports) {
      const ingest = startProcess(INGEST_ENTRY, {
        ...stack.env,
        AQUAALERT_URL: `127.0.0.1:${await freePort()}`,
        AQUAALERT_TLS: `127.0.0.1:${port}`,
        POSTEE_MIGRATE: 'off',
      })
      try {
        await waitFor(() => /"scheme":"https"/.test(ingest.output()), { what: 'ingest to log its HTTPS listener' })
        const answer = await postHttps(port, readFixture('aqua-input.json'))
        expect(answer.status).to.equal(202)
        fingerprints.push(answer.fingerprint)
      } finally {
        await ingest.stop()
      }
    }
    expect(fingerprints[0]).to.be.a('string').and.not.equal('')
    expect(fingerprints[1]).to.equal(fingerprints[0])
  })
})
