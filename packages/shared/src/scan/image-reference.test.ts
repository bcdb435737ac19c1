import { expect } from 'chai'
import fc from 'fast-check'
import {
  InvalidImageReference,
  familiarRepository,
  imageIdentity,
  normaliseRegistry,
  parseImageReference,
  type ImageReference,
} from './image-reference.js'

const DIGEST = 'sha256:ab6ef8d98985757485185d8815454bdda5be3864b8b37b3328cd9af03f9e2d93'

function ref(registry: string, repository: string, tag: string, digest = ''): ImageReference {
  return { registry, repository, tag, digest }
}

describe('parseImageReference', () => {
  const cases: readonly (readonly [input: string, expected: ImageReference, why: string])[] = [
    ['nginx', ref('docker.io', 'library/nginx', 'latest'), 'a short name is a Docker Hub official image, tag latest'],
    ['nginx:1.16', ref('docker.io', 'library/nginx', '1.16'), 'short name with a tag'],
    ['library/nginx:1.16', ref('docker.io', 'library/nginx', '1.16'), 'library/ written out'],
    ['docker.io/library/nginx:1.16', ref('docker.io', 'library/nginx', '1.16'), 'fully qualified'],
    ['docker.io/nginx', ref('docker.io', 'library/nginx', 'latest'), 'docker.io with one component gets library/'],
    ['index.docker.io/library/nginx:1.16', ref('docker.io', 'library/nginx', '1.16'), 'the legacy Hub host is docker.io'],
    ['registry-1.docker.io/library/nginx', ref('docker.io', 'library/nginx', 'latest'), 'the Hub API host is docker.io'],
    ['bitnami/redis:7.2', ref('docker.io', 'bitnami/redis', '7.2'), 'a user namespace is not a host'],
    ['ghcr.io/aquasecurity/trivy:0.50.1', ref('ghcr.io', 'aquasecurity/trivy', '0.50.1'), 'a dotted first component is a host'],
    ['quay.io/nginx', ref('quay.io', 'nginx', 'latest'), 'no library/ outside Docker Hub'],
    ['localhost/app', ref('localhost', 'app', 'latest'), 'localhost is a host'],
    ['localhost:5000/x', ref('localhost:5000', 'x', 'latest'), 'localhost with a port'],
    ['registry:5000/team/app:v2', ref('registry:5000', 'team/app', 'v2'), 'a port makes an undotted name a host'],
    ['10.0.0.7:5000/app:1', ref('10.0.0.7:5000', 'app', '1'), 'an IPv4 address with a port'],
    ['[::1]:5000/app', ref('[::1]:5000', 'app', 'latest'), 'an IPv6 address with a port'],
    ['Registry.Example.COM/app', ref('registry.example.com', 'app', 'latest'), 'the host is lower-cased'],
    ['MyHost/app', ref('myhost', 'app', 'latest'), 'an upper-case first component is a host (Docker: paths are lower case)'],
    [`nginx@${DIGEST}`, ref('docker.io', 'library/nginx', '', DIGEST), 'a digest alone: no default tag'],
    [`nginx:1.16@${DIGEST}`, ref('docker.io', 'library/nginx', '1.16', DIGEST), 'a tag and a digest'],
    [`localhost:5000/x@${DIGEST}`, ref('localhost:5000', 'x', '', DIGEST), 'a port and a digest'],
    ['a/b/c/d:e', ref('docker.io', 'a/b/c/d', 'e'), 'deep paths on Docker Hub'],
    ['my-app__x.y:1.0_rc-1', ref('docker.io', 'library/my-app__x.y', '1.0_rc-1'), 'every separator Docker allows'],
    ['localhost:5000', ref('docker.io', 'library/localhost', '5000'), 'without a / this is name:tag, as in Docker'],
  ]
  for (const [input, expected, why] of cases) {
    it(`${input} → ${expected.registry} ${expected.repository} ${expected.tag || '(no tag)'}: ${why}`, () => {
      expect(parseImageReference(input)).to.deep.equal(expected)
    })
  }

  const invalid: readonly (readonly [input: string, mentions: string])[] = [
    ['', 'empty'],
    ['Nginx', 'path component "Nginx"'],
    ['nginx:', 'tag ""'],
    ['nginx:bad/tag', 'registry "nginx:bad"'],
    ['nginx@sha256:xyz', 'digest "sha256:xyz"'],
    ['nginx@', 'digest ""'],
    ['/nginx', 'path component ""'],
    ['a//b', 'path component ""'],
    ['nginx:-1', 'tag "-1"'],
    ['-bad.host/x', 'registry "-bad.host"'],
    [`${'a'.repeat(256)}`, 'longer than 255'],
    ['nginx latest', 'path component "nginx latest"'],
  ]
  for (const [input, mentions] of invalid) {
    it(`rejects ${JSON.stringify(input.slice(0, 40))} naming ${mentions}`, () => {
      expect(() => parseImageReference(input)).to.throw(InvalidImageReference, mentions)
    })
  }

  it('throws nothing but InvalidImageReference on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'aZ0.:/@-_[]sha256'.split('')), maxLength: 40 }), (input) => {
        try {
          parseImageReference(input)
        } catch (error) {
          expect(error).to.be.instanceOf(InvalidImageReference)
        }
      }),
    )
  })
})

describe('normaliseRegistry and familiarRepository', () => {
  it('maps every Docker Hub host onto docker.io', () => {
    for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'Index.Docker.IO']) {
      expect(normaliseRegistry(host)).to.equal('docker.io')
    }
    expect(normaliseRegistry('ghcr.io')).to.equal('ghcr.io')
  })

  it('drops library/ only for one-component official images on Docker Hub', () => {
    expect(familiarRepository('docker.io', 'library/nginx')).to.equal('nginx')
    expect(familiarRepository('index.docker.io', 'library/nginx')).to.equal('nginx')
    expect(familiarRepository('docker.io', 'library/distros/ubuntu')).to.equal('library/distros/ubuntu')
    expect(familiarRepository('docker.io', 'bitnami/redis')).to.equal('bitnami/redis')
    expect(familiarRepository('quay.io', 'library/nginx')).to.equal('library/nginx')
  })
})

describe('imageIdentity', () => {
  // Each row: how Trivy names an image (its ArtifactName) and how Trivy Operator names the same
  // one (registry.server, artifact.repository, artifact.tag); both must give the same identity.
  const rows: readonly (readonly [
    artifactName: string,
    server: string,
    repository: string,
    tag: string,
    registry: string,
    image: string,
  ])[] = [
    ['nginx:1.16', 'index.docker.io', 'library/nginx', '1.16', 'docker.io', 'nginx:1.16'],
    ['docker.io/library/nginx:1.16', 'index.docker.io', 'library/nginx', '1.16', 'docker.io', 'nginx:1.16'],
    ['nginx', 'index.docker.io', 'library/nginx', 'latest', 'docker.io', 'nginx:latest'],
    ['bitnami/redis:7.2', 'index.docker.io', 'bitnami/redis', '7.2', 'docker.io', 'bitnami/redis:7.2'],
    ['ghcr.io/org/app:v1', 'ghcr.io', 'org/app', 'v1', 'ghcr.io', 'org/app:v1'],
    ['localhost:5000/x', 'localhost:5000', 'x', 'latest', 'localhost:5000', 'x:latest'],
    [`nginx:1.16@${DIGEST}`, 'index.docker.io', 'library/nginx', '', 'docker.io', 'nginx'],
  ]
  for (const [artifactName, server, repository, tag, registry, image] of rows) {
    it(`${artifactName} and (${server}, ${repository}, ${tag || 'no tag'}) are both (${registry}, ${image})`, () => {
      const parsed = parseImageReference(artifactName)
      expect(imageIdentity(parsed.registry, parsed.repository, parsed.digest ? '' : parsed.tag)).to.deep.equal({ registry, image })
      expect(imageIdentity(server, repository, tag)).to.deep.equal({ registry, image })
    })
  }

  it('treats an empty registry as Docker Hub and a bare Hub name as library/', () => {
    expect(imageIdentity('', 'library/nginx', '1.16')).to.deep.equal({ registry: 'docker.io', image: 'nginx:1.16' })
    expect(imageIdentity('docker.io', 'nginx', '1.16')).to.deep.equal({ registry: 'docker.io', image: 'nginx:1.16' })
  })
})
