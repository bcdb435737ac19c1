import { expect } from 'chai'
import { DnsFake } from './dns-fake.testkit.js'

describe('email test support: the fake DNS server', () => {
  it('answers MX, A and AAAA, with NXDOMAIN and SERVFAIL', async () => {
    const dns = await new DnsFake({
      'example.test': {
        mx: [
          [20, 'mx2.example.test'],
          [10, 'mx1.example.test'],
        ],
      },
      'mx1.example.test': { a: ['127.0.0.2'], aaaa: ['::1'] },
      'broken.test': { servfail: true },
    }).start()
    try {
      const resolver = dns.resolver()
      expect(await resolver.resolveMx('example.test')).to.have.deep.members([
        { exchange: 'mx2.example.test', priority: 20 },
        { exchange: 'mx1.example.test', priority: 10 },
      ])
      expect(await resolver.resolve4('mx1.example.test')).to.deep.equal(['127.0.0.2'])
      expect(await resolver.resolve6('mx1.example.test')).to.deep.equal(['::1'])
      await resolver.resolveMx('mx1.example.test').then(
        () => expect.fail('no MX'),
        (error: NodeJS.ErrnoException) => expect(error.code).to.equal('ENODATA'),
      )
      await resolver.resolveMx('nowhere.test').then(
        () => expect.fail('NXDOMAIN'),
        (error: NodeJS.ErrnoException) => expect(error.code).to.equal('ENOTFOUND'),
      )
      await resolver.resolveMx('broken.test').then(
        () => expect.fail('SERVFAIL'),
        (error: NodeJS.ErrnoException) => expect(error.code).to.equal('ESERVFAIL'),
      )
    } finally {
      await dns.stop()
    }
  })
})
