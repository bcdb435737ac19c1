/**
 * Container image references, parsed the way Docker does, and the one rule that turns a reference
 * into the scan model's (registry, image) so every source names the same image the same way.
 *
 * Rules from distribution/reference (`normalize.go` splitDockerDomain / familiarizeName and
 * `regexp.go`), the parser Docker and containerd use:
 * - the first `/`-separated component is a registry host only when it is `localhost`, contains
 *   `.` or `:`, or has an upper-case letter (repository paths must be lower case); otherwise the
 *   registry is `docker.io` and the whole name is the repository path;
 * - `index.docker.io` is Docker Hub's legacy name and means `docker.io`;
 * - on `docker.io` a one-component path gets the `library/` namespace (`nginx` → `library/nginx`);
 * - the tag defaults to `latest` unless the reference names a digest (`name@sha256:…`).
 */

/** A reference in Docker's canonical form: `registry/repository[:tag][@digest]`. */
export interface ImageReference {
  /** Lower-cased host[:port]; `docker.io` for Docker Hub under any of its names. */
  readonly registry: string
  /** Canonical path, `library/nginx` for Docker Hub official images. */
  readonly repository: string
  /** Empty only when the reference names a digest and no tag. */
  readonly tag: string
  /** `algorithm:hex`, empty when the reference names none. */
  readonly digest: string
}

/** Thrown for a string that is not an image reference; parsers turn it into a ScanRejection. */
export class InvalidImageReference extends Error {
  constructor(
    readonly reference: string,
    reason: string,
  ) {
    super(`"${reference}" is not an image reference: ${reason}`)
    this.name = 'InvalidImageReference'
  }
}

const DOCKER_HUB = 'docker.io'
const OFFICIAL_NAMESPACE = 'library/'
const DEFAULT_TAG = 'latest'
// Docker caps the name (registry and path, without tag or digest) at 255 characters.
const MAX_NAME_LENGTH = 255

// Every host Docker Hub answers to. `registry-1.docker.io` is not in Docker's own table, but it is
// the host Hub's registry API actually runs on, and some tools report it.
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

// The grammar of distribution/reference regexp.go, anchored.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`)
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^\w[\w.-]{0,127}$/
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/

/** Maps every name of Docker Hub onto `docker.io` and lower-cases the host (DNS is case-insensitive). */
export function normaliseRegistry(host: string): string {
  const lower = host.trim().toLowerCase()
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower
}

/** Parses an image reference by Docker's rules (see the module comment); throws InvalidImageReference. */
export function parseImageReference(ref: string): ImageReference {
  const at = ref.indexOf('@')
  const digest = at === -1 ? '' : ref.slice(at + 1)
  const named = at === -1 ? ref : ref.slice(0, at)
  if (at !== -1 && !DIGEST.test(digest)) throw new InvalidImageReference(ref, `the digest "${digest}" is not algorithm:hex`)
  // A `:` after the last `/` starts the tag; one before it belongs to a registry port.
  const colon = named.lastIndexOf(':')
  const hasTag = colon > named.lastIndexOf('/')
  const name = hasTag ? named.slice(0, colon) : named
  const tag = hasTag ? named.slice(colon + 1) : ''
  if (hasTag && !TAG.test(tag)) throw new InvalidImageReference(ref, `the tag "${tag}" is not a valid tag`)
  if (name.length === 0) throw new InvalidImageReference(ref, 'the name is empty')
  if (name.length > MAX_NAME_LENGTH) throw new InvalidImageReference(ref, `the name is longer than ${MAX_NAME_LENGTH} characters`)
  const { registry, repository } = splitRegistry(ref, name)
  return { registry, repository, tag: tag || (digest ? '' : DEFAULT_TAG), digest }
}

function splitRegistry(ref: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/')
  const first = slash === -1 ? '' : name.slice(0, slash)
  const isHost = first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase()
  if (isHost && !DOMAIN.test(first)) throw new InvalidImageReference(ref, `the registry "${first}" is not a host name`)
  const registry = isHost ? normaliseRegistry(first) : DOCKER_HUB
  const path = isHost ? name.slice(slash + 1) : name
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw new InvalidImageReference(ref, `the path component "${component}" must be lower-case letters and digits joined by . _ __ or -`)
    }
  }
  const repository = registry === DOCKER_HUB && !path.includes('/') ? OFFICIAL_NAMESPACE + path : path
  return { registry, repository }
}

/**
 * Docker's "familiar" repository name: on Docker Hub the `library/` namespace of an official image
 * is dropped (`library/nginx` → `nginx`, `bitnami/redis` stays); on other registries the path is
 * kept as it is.
 */
export function familiarRepository(registry: string, repository: string): string {
  if (normaliseRegistry(registry) !== DOCKER_HUB || !repository.startsWith(OFFICIAL_NAMESPACE)) return repository
  const rest = repository.slice(OFFICIAL_NAMESPACE.length)
  return rest.includes('/') ? repository : rest
}

/**
 * The scan model's identity of an image, the same whichever source reports it:
 * - `registry` is the normalised host (`docker.io` for Docker Hub under any of its names);
 * - `image` is Docker's familiar repository name plus `:tag`, so `nginx:1.16`,
 *   `docker.io/library/nginx:1.16` (Trivy's ArtifactName) and Trivy Operator's
 *   (`index.docker.io`, `library/nginx`, `1.16`) are all (`docker.io`, `nginx:1.16`), and a
 *   `Policy-Image-Name: nginx` pattern matches all of them;
 * - pass an empty tag when the reference pinned a digest: Trivy Operator (through
 *   go-containerregistry) keeps no tag for `name:tag@digest`, so the tag cannot be part of the
 *   identity there without splitting one image into two.
 */
export function imageIdentity(registry: string, repository: string, tag: string): { registry: string; image: string } {
  const host = normaliseRegistry(registry) || DOCKER_HUB
  const familiar = familiarRepository(host, host === DOCKER_HUB ? canonicalHubPath(repository) : repository)
  return { registry: host, image: tag ? `${familiar}:${tag}` : familiar }
}

// Operator reports carry the canonical path already; a hand-written `nginx` is the same image.
function canonicalHubPath(repository: string): string {
  return repository.includes('/') ? repository : OFFICIAL_NAMESPACE + repository
}
