import { createHmac } from 'node:crypto'
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { expect } from 'chai'
import express from 'express'
import { generate } from 'selfsigned'
import { Secret } from '@postee/shared'
import { authenticateScan, signatureProblem } from '../src/http/auth.js'
import { httpsOptions } from '../src/tls.js'

function sign(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`
}

describe('HMAC body signatures', () => {
  const secrets = [new Secret('old-key'), new Secret('new-key')]
  const body = Buffer.from('{"image":"x","registry":"r"}')
  const now = 1_800_000_000
  const cases: [string, string, string | undefined][] = [
    ['a fresh signature with either key', sign('new-key', body.toString(), now), undefined],
    ['the older key during a rotation', sign('old-key', body.toString(), now - 100), undefined],
    ['a signature of another body', sign('new-key', '{"image":"y"}', now), 'the body signature does not match any signing key'],
    ['an unknown key', sign('stolen', body.toString(), now), 'the body signature does not match any signing key'],
    [
      'a timestamp outside the window (a replay)',
      sign('new-key', body.toString(), now - 301),
      'the signature timestamp is more than 300 s from now; sign each request when it is sent',
    ],
    ['a malformed header', 'sha256=abc', 'X-Postee-Signature must read t=<unix seconds>,v1=<hex hmac-sha256>'],
  ]
  for (const [title, header, problem] of cases) {
    it(`${title} → ${problem ? 'refused' : 'accepted'}`, () => {
      expect(signatureProblem(header, body, secrets, now)).to.equal(problem)
    })
  }

  it('a request with neither a token nor a signature is refused when signing keys are set', async () => {
    const app = express()
    app.post(
      '/scan',
      authenticateScan(() => ({ tokens: [], hmacSecrets: secrets, adminTokens: [] })),
      (_req, res) => void res.json({ signature: res.locals.signature ?? null }),
    )
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scan`
    try {
      const refused = await fetch(url, { method: 'POST', body: '{}' })
      expect(refused.status).to.equal(401)
      expect(((await refused.json()) as { error: string }).error).to.match(/an X-Postee-Signature header/)
      // Well-formed and fresh: only the body can tell, so it is let through to be read and checked.
      const header = `t=${Math.floor(Date.now() / 1000)},v1=${'ab'.repeat(32)}`
      const passed = await fetch(url, { method: 'POST', body: '{}', headers: { 'x-postee-signature': header } })
      expect(await passed.json()).to.deep.equal({ signature: header })
      // Malformed or stale: refused before the body is read, and the connection is closed.
      for (const bad of ['t=1,v1=ab', `t=${Math.floor(Date.now() / 1000) - 3600},v1=${'ab'.repeat(32)}`, 'sha256=abc']) {
        const refused = await fetch(url, { method: 'POST', body: '{}', headers: { 'x-postee-signature': bad } })
        expect(refused.status, bad).to.equal(401)
        expect(refused.headers.get('connection'), bad).to.equal('close')
      }
    } finally {
      server.close()
    }
  })
})

describe('the HTTPS listener', function () {
  this.timeout(30_000)
  let ca: Awaited<ReturnType<typeof generate>>
  let serverPair: Awaited<ReturnType<typeof generate>>
  let client: Awaited<ReturnType<typeof generate>>
  let stranger: Awaited<ReturnType<typeof generate>>

  before(async () => {
    ca = await generate([{ name: 'commonName', value: 'test ca' }], { keySize: 2048, extensions: [{ name: 'basicConstraints', cA: true }] })
    serverPair = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 })
    client = await generate([{ name: 'commonName', value: 'aqua-server' }], { keySize: 2048, ca: { key: ca.private, cert: ca.cert } })
    stranger = await generate([{ name: 'commonName', value: 'stranger' }], { keySize: 2048 })
  })

  async function call(
    options: Parameters<typeof httpsOptions>,
    clientOptions: {
      cert?: string
      key?: string
      minVersion?: 'TLSv1' | 'TLSv1.2'
      maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'
      ciphers?: string
    },
  ): Promise<number> {
    const server = createHttpsServer(httpsOptions(...options), (_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    try {
      return await new Promise<number>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, ...clientOptions }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
    } finally {
      server.closeAllConnections()
      server.close()
    }
  }

  it('refuses TLS 1.1 and accepts TLS 1.2', async () => {
    const pair = { certPem: serverPair.cert, keyPem: serverPair.private }
    // The client allows TLS 1.0-1.1 (and the ciphers they need), so the refusal is the server's.
    const error = await call([pair, undefined], { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.match(/protocol version|unsupported protocol/i)
    expect(await call([pair, undefined], { maxVersion: 'TLSv1.2' })).to.equal(200)
  })

  // TLS 1.2 is accepted only with ECDHE key exchange and an AEAD cipher; the client offers exactly one suite each time.
  const tls12: [string, boolean][] = [
    ['ECDHE-RSA-AES128-GCM-SHA256', true],
    ['ECDHE-RSA-AES256-GCM-SHA384', true],
    ['ECDHE-RSA-CHACHA20-POLY1305', true],
    ['AES128-SHA', false],
    ['AES128-GCM-SHA256', false],
    ['AES256-SHA256', false],
    ['ECDHE-RSA-AES128-SHA', false],
    ['ECDHE-RSA-AES256-SHA384', false],
    ['DHE-RSA-AES128-GCM-SHA256', false],
  ]
  for (const [cipher, accepted] of tls12) {
    it(`TLS 1.2 with ${cipher} → ${accepted ? 'accepted' : 'handshake refused'}`, async () => {
      const pair = { certPem: serverPair.cert, keyPem: serverPair.private }
      const outcome = await call([pair, undefined], { maxVersion: 'TLSv1.2', ciphers: `${cipher}:@SECLEVEL=0` }).then(
        (status) => status,
        (e: Error) => e.message,
      )
      if (accepted) expect(outcome).to.equal(200)
      else
        expect(outcome)
          .to.be.a('string')
          .and.match(/handshake failure|no shared cipher|no ciphers available/i)
    })
  }

  it('TLS 1.3 is accepted (each of its suites is forward-secret AEAD)', async () => {
    const pair = { certPem: serverPair.cert, keyPem: serverPair.private }
    const server = createHttpsServer(httpsOptions(pair, undefined), (_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const protocol = await new Promise<string | null>((resolve, reject) => {
        const socket = tlsConnect(
          { host: '127.0.0.1', port: (server.address() as AddressInfo).port, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
          () => {
            resolve(socket.getProtocol())
            socket.end()
          },
        )
        socket.on('error', reject)
      })
      expect(protocol).to.equal('TLSv1.3')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('with a client CA, requires a client certificate signed by it (mutual TLS)', async () => {
    const pair = { certPem: serverPair.cert, keyPem: serverPair.private }
    expect(await call([pair, ca.cert], { cert: client.cert, key: client.private })).to.equal(200)
    for (const credentials of [{}, { cert: stranger.cert, key: stranger.private }]) {
      let failed = false
      await call([pair, ca.cert], credentials).catch(() => (failed = true))
      expect(failed).to.equal(true)
    }
  })
})
