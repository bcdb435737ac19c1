import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { run } from '../src/cli.js'

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'postee-check-')), 'cfg.yaml')
  writeFileSync(path, text)
  return path
}

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { io: { env: {}, out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err }
}

describe('postee check-config', () => {
  it('prints the resolved integrations and their policies, exit 0', async () => {
    const path = file(
      `- type: common\n  AquaServer: https://aqua.example.com\n- name: hook\n  type: webhook\n  enable: true\n  url: http://127.0.0.1/x\n  Policy-Min-Vulnerability: high\n  Ignore-Image-Name: ["*-test:*"]\n  Aggregate-Issues-Timeout: 5m\n- name: off\n  type: slack\n`,
    )
    const { io, out } = capture()
    expect(await run(['check-config', path], io)).to.equal(0)
    const text = out.join('\n')
    expect(text).to.match(/valid, 1 of 2 integrations enabled/)
    expect(text).to.match(
      /hook\s+webhook\s+yes\s+min high; ignore image \[\*-test:\*\]\s+10 attempts, timeout 30s, rate unlimited, concurrency 16; aggregate 5m/,
    )
    expect(text).to.match(/off\s+slack\s+no/)
    expect(text).to.match(/note: off has no `enable` key/)
  })

  it('lists every problem and exits 1', async () => {
    const path = file('- name: x\n  type: jiraa\n- name: y\n  type: slack\n  enable: true\n  Policy-Min-Vulnerabilty: high\n')
    const { io, err } = capture()
    expect(await run(['check-config', path], io)).to.equal(1)
    expect(err.join('\n'))
      .to.match(/3 problems/)
      .and.match(/did you mean jira\?/)
      .and.match(/did you mean Policy-Min-Vulnerability\?/)
    // In file order, each with its line: the missing url of y sits on y's first line.
    expect(
      err
        .join('\n')
        .split('\n')
        .slice(1)
        .map((line) => /^ {2}line (\d+): (\S+ › \S+):/.exec(line)?.slice(1).join(' ')),
    ).to.deep.equal(['2 x › type', '3 y › url', '6 y › Policy-Min-Vulnerabilty'])
  })

  it('names a missing file and how to point at another', async () => {
    const { io, err } = capture()
    expect(await run(['check-config', '/nonexistent/cfg.yaml'], io)).to.equal(1)
    expect(err.join('\n')).to.match(/does not exist.*AQUAALERT_CFG/)
  })
})
