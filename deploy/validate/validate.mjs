#!/usr/bin/env node
// Offline checks of Postee's deployment files, run by tools/check-deploy.sh:
//
//   node deploy/validate/validate.mjs --repo . --rendered DIR [--rules-out FILE]
//
// DIR holds one `<overlay>.yaml` per kustomization rendered by `kubectl kustomize`. Checked:
// 1. every rendered object against the Kubernetes (kubernetes-models 4.5) and KEDA
//    (@kubernetes-models/keda) JSON schemas;
// 2. strictly: no field the API does not know (a typo such as `readinessprobe` passes the JSON
//    schemas, which allow extra fields): each object is type-checked as an object literal
//    against the same packages' TypeScript types, whose excess-property check finds it;
// 3. the deployment's own rules (security contexts, probes, references between objects, one
//    autoscaler per Deployment, KEDA triggers = the outputs of cfg.yaml, ...);
// 4. the Dockerfile (dockerfile-utils, the linter of VS Code's Docker extension, plus the targets,
//    user, ports and health checks this project needs);
// 5. docker-compose.yml against config/compose-cfg.yaml;
// 6. the Grafana dashboard and the alert rules use only metrics (and labels) the services
//    define in services/*/src/metrics.ts; the dashboard's queries are written to --rules-out as
//    recording rules, so that promtool checks their PromQL too.
// Prints one line per problem and a summary; exit 1 on any problem.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnSync } from 'node:child_process'
import { parseAllDocuments, parse as parseYaml } from 'yaml'
import ts from 'typescript'
import { validate as lintDockerfile } from 'dockerfile-utils'
import { DockerfileParser } from 'dockerfile-ast'

const here = dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    repo: { type: 'string', default: resolve(here, '../..') },
    rendered: { type: 'string' },
    'rules-out': { type: 'string' },
  },
})
const repo = resolve(args.repo)
const problems = []
const counts = { objects: 0, invariants: 0, dashboardQueries: 0, alertRules: 0 }
const problem = (where, message) => problems.push(`${where}: ${message}`)
/** Runs one named rule, counting it; a thrown error is a problem of that rule. */
function rule(where, description, check) {
  counts.invariants++
  try {
    const result = check()
    if (typeof result === 'string') problem(where, `${description}: ${result}`)
    else if (result === false) problem(where, description)
  } catch (error) {
    problem(where, `${description}: ${error.message}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

const KEDA_GROUP = 'keda.sh'
/** The kubernetes-models module of an apiVersion/kind, or undefined when none is known. */
function modelModule(apiVersion, kind) {
  if (!apiVersion || !kind) return undefined
  if (apiVersion.startsWith(`${KEDA_GROUP}/`)) return `@kubernetes-models/keda/${apiVersion}/${kind}`
  return `kubernetes-models/${apiVersion}/${kind}`
}

function loadRendered(dir) {
  const sets = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const name = file.replace(/\.yaml$/, '')
    const objects = []
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) problem(name, `YAML: ${doc.errors[0].message}`)
      const obj = doc.toJS()
      if (obj !== null && obj !== undefined) objects.push(obj)
    }
    if (objects.length === 0) problem(name, 'the render holds no object')
    sets.push({ name, objects })
  }
  return sets
}

const id = (obj) => `${obj.kind}/${obj.metadata?.name ?? '?'}`

async function schemaCheck(set) {
  for (const obj of set.objects) {
    counts.objects++
    const where = `${set.name} ${id(obj)}`
    const module = modelModule(obj.apiVersion, obj.kind)
    let Model
    try {
      Model = (await import(module))[obj.kind]
    } catch {
      problem(where, `no schema for apiVersion ${obj.apiVersion} kind ${obj.kind}`)
      continue
    }
    try {
      new Model(structuredClone(obj)).validate()
    } catch (error) {
      problem(where, `schema: ${error.message}`)
    }
    if (!obj.metadata?.name) problem(where, 'metadata.name is missing')
  }
}

/**
 * Prints a value as a TypeScript expression, one property per line: `out` receives the lines,
 * each with the path of the field it belongs to, so a compiler diagnostic names the field.
 */
function literal(value, path, out, prefix = '', indent = '', suffix = '') {
  const children = Array.isArray(value)
    ? value.map((item, i) => [`${path}[${i}]`, '', item])
    : value !== null && typeof value === 'object'
      ? Object.entries(value).map(([key, item]) => [`${path}.${key}`, `${JSON.stringify(key)}: `, item])
      : undefined
  if (!children || children.length === 0) {
    out.push({ text: `${indent}${prefix}${children ? (Array.isArray(value) ? '[]' : '{}') : JSON.stringify(value)}${suffix}`, path })
    return
  }
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}']
  out.push({ text: `${indent}${prefix}${open}`, path })
  children.forEach(([childPath, key, item], i) => literal(item, childPath, out, key, `${indent}  `, i < children.length - 1 ? ',' : ''))
  out.push({ text: `${indent}${close}${suffix}`, path })
}

/** Unknown fields, through TypeScript's excess-property check against the models' types. */
function strictFieldCheck(sets) {
  const lines = [] // { text, where, path }
  let n = 0
  for (const set of sets) {
    for (const obj of set.objects) {
      const module = modelModule(obj.apiVersion, obj.kind)
      if (!module) continue
      const where = `${set.name} ${id(obj)}`
      lines.push({ text: `import type { I${obj.kind} as T${n} } from ${JSON.stringify(module)};`, where, path: '' })
      const body = []
      literal(obj, '', body, `export const o${n}: T${n} = `, '', ';')
      for (const line of body) lines.push({ ...line, where })
      n++
    }
  }
  const fileName = join(here, '__rendered_objects__.ts')
  const text = lines.map((l) => l.text).join('\n')
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  }
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists, readFile } = host
  host.getSourceFile = (f, lang, ...rest) => (resolve(f) === fileName ? ts.createSourceFile(f, text, lang) : getSourceFile.call(host, f, lang, ...rest))
  host.fileExists = (f) => resolve(f) === fileName || fileExists.call(host, f)
  host.readFile = (f) => (resolve(f) === fileName ? text : readFile.call(host, f))
  const program = ts.createProgram([fileName], options, host)
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ')
    if (!d.file || resolve(d.file.fileName) !== fileName) {
      problem('strict field check', message)
      continue
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0)
    const info = lines[line] ?? { where: '?', path: '' }
    const excess = /known properties, (?:and|but) '"?([^'"]+)"?' does not exist in type[^]*?(Did you mean[^?]*\?)?$/.exec(message)
    const text = excess ? `unknown field "${excess[1]}"${excess[2] ? ` (${excess[2].replace(/^Did you mean to write/, 'did you mean')})` : ''}` : message.replace(/'IIoK8s[A-Za-z0-9]+'/g, (m) => m.replace(/IIoK8s(Api|Apimachinery)?/, '')).slice(0, 300)
    problem(info.where, `field ${info.path || '(object)'}: ${text}`)
  }
}

const podSpecOf = (obj) => (obj.kind === 'Deployment' || obj.kind === 'Job' ? obj.spec?.template?.spec : undefined)
const labelsMatch = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v)
const envValue = (container, name) => container.env?.find((e) => e.name === name)?.value

/** The project's rules for one rendered kustomization. */
function invariants(set, cfgCheck) {
  const { name: overlay, objects } = set
  const byKind = (kind) => objects.filter((o) => o.kind === kind)
  const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name)
  const deployments = byKind('Deployment')
  const component = (o) => o.metadata?.labels?.['app.kubernetes.io/component']
  const ingest = deployments.find((d) => component(d) === 'ingest')
  const dispatcher = deployments.find((d) => component(d) === 'dispatcher')
  const job = byKind('Job').find((j) => component(j) === 'migrate')
  const at = (o) => `${overlay} ${id(o)}`
  const isBase = overlay === 'base'
  const secrets = byKind('Secret')
  // A Secret not in the render must come from elsewhere: only postee-credentials may, and only
  // when the render has no generated Secret at all (the production overlays).
  const secretExists = (name) => secrets.some((s) => s.metadata.name === name) || (secrets.length === 0 && name === 'postee-credentials')

  rule(overlay, 'has the ingest and dispatcher Deployments and the migration Job', () => Boolean(ingest && dispatcher && job))
  if (!ingest || !dispatcher || !job) return

  for (const w of [...deployments, ...byKind('Job')]) {
    const pod = podSpecOf(w)
    const where = at(w)
    rule(where, 'pod securityContext: runAsNonRoot, a non-zero runAsUser, seccomp RuntimeDefault', () =>
      pod.securityContext?.runAsNonRoot === true && pod.securityContext?.runAsUser > 0 && pod.securityContext?.seccompProfile?.type === 'RuntimeDefault')
    rule(where, 'no service account token mounted', () => pod.automountServiceAccountToken === false)
    rule(where, 'service account exists', () => !pod.serviceAccountName || Boolean(find('ServiceAccount', pod.serviceAccountName)) || `${pod.serviceAccountName} is not rendered`)
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const cw = `${where} container ${c.name}`
      const sc = c.securityContext ?? {}
      rule(cw, 'securityContext: allowPrivilegeEscalation false, readOnlyRootFilesystem true, drop ALL', () =>
        sc.allowPrivilegeEscalation === false && sc.readOnlyRootFilesystem === true && (sc.capabilities?.drop ?? []).includes('ALL') && !sc.privileged && !(sc.capabilities?.add?.length))
      rule(cw, 'requests cpu and memory, limits memory and cpu', () =>
        Boolean(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory && c.resources?.limits?.cpu))
      rule(cw, 'memory limit at most 384Mi (peak RSS target 250 MB)', () => {
        const m = /^(\d+)(Mi|Gi)$/.exec(c.resources?.limits?.memory ?? '')
        return Boolean(m) && Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1) <= 384
      })
      rule(cw, '/tmp is a writable emptyDir (the root filesystem is read-only)', () => {
        const mount = c.volumeMounts?.find((m) => m.mountPath === '/tmp')
        return Boolean(mount && pod.volumes?.find((v) => v.name === mount.name)?.emptyDir)
      })
      rule(cw, 'image is pinned to a tag (not latest) outside the base', () => isBase || (/:[\w][\w.-]*$/.test(c.image) && !c.image.endsWith(':latest')) || c.image)
      for (const ref of c.envFrom ?? []) {
        if (ref.secretRef) rule(cw, `envFrom Secret ${ref.secretRef.name} exists`, () => secretExists(ref.secretRef.name))
        if (ref.configMapRef) rule(cw, `envFrom ConfigMap ${ref.configMapRef.name} exists`, () => Boolean(find('ConfigMap', ref.configMapRef.name)))
      }
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef
        if (s) rule(cw, `env ${e.name}: Secret ${s.name} exists`, () => secretExists(s.name))
      }
      for (const m of c.volumeMounts ?? []) rule(cw, `volume ${m.name} is defined`, () => Boolean(pod.volumes?.find((v) => v.name === m.name)))
      for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const port = c[kind]?.httpGet?.port
        if (port !== undefined) rule(cw, `${kind} port ${port} is a container port`, () => (c.ports ?? []).some((p) => p.name === port || p.containerPort === port))
      }
    }
    for (const v of pod.volumes ?? []) {
      if (v.configMap) rule(where, `ConfigMap ${v.configMap.name} exists`, () => Boolean(find('ConfigMap', v.configMap.name)))
      if (v.secret) rule(where, `Secret ${v.secret.secretName} exists`, () => secretExists(v.secret.secretName))
    }
  }

  for (const d of deployments) {
    rule(at(d), 'selector matches the pod labels', () => labelsMatch(d.spec.selector?.matchLabels, d.spec.template.metadata?.labels))
    const c = d.spec.template.spec.containers[0]
    rule(at(d), 'startup, liveness (/healthz) and readiness (/readyz) probes', () =>
      Boolean(c.startupProbe) && c.livenessProbe?.httpGet?.path === '/healthz' && c.readinessProbe?.httpGet?.path === '/readyz')
    rule(at(d), 'Prometheus scrape annotations name the metrics port', () => {
      const a = d.spec.template.metadata?.annotations ?? {}
      return a['prometheus.io/scrape'] === 'true' && (c.ports ?? []).some((p) => String(p.containerPort) === a['prometheus.io/port']) && a['prometheus.io/path'] === '/metrics'
    })
    rule(at(d), 'spread over nodes (topology spread or anti-affinity)', () =>
      Boolean(d.spec.template.spec.topologySpreadConstraints?.length || d.spec.template.spec.affinity?.podAntiAffinity))
    rule(at(d), 'has a PodDisruptionBudget', () =>
      byKind('PodDisruptionBudget').some((p) => labelsMatch(p.spec.selector?.matchLabels, d.spec.template.metadata?.labels)))
  }

  const ic = ingest.spec.template.spec.containers[0]
  rule(at(ingest), 'ports http 8082 and https 8445', () =>
    ic.ports?.some((p) => p.containerPort === 8082) && ic.ports?.some((p) => p.containerPort === 8445))
  rule(at(ingest), 'POSTEE_MIGRATE=off (the Job migrates)', () => envValue(ic, 'POSTEE_MIGRATE') === 'off')
  rule(at(job), 'runs the migrations', () => /migrate/.test(job.spec.template.spec.containers[0].image) || (job.spec.template.spec.containers[0].command ?? []).join(' ').includes('migrations'))
  const dc = dispatcher.spec.template.spec.containers[0]
  rule(at(dispatcher), 'health port 8091', () => dc.ports?.some((p) => p.containerPort === 8091))
  rule(at(dispatcher), 'terminationGracePeriodSeconds exceeds POSTEE_DRAIN_GRACE_MS', () => {
    const drainMs = Number(envValue(dc, 'POSTEE_DRAIN_GRACE_MS') ?? 20000)
    const grace = dispatcher.spec.template.spec.terminationGracePeriodSeconds ?? 30
    return grace * 1000 > drainMs + 5000 || `${grace}s vs a drain of ${drainMs} ms`
  })

  const services = byKind('Service')
  rule(overlay, 'the ingest Service exposes 8082 and 8445', () =>
    services.some((s) => labelsMatch(s.spec.selector, ingest.spec.template.metadata.labels) && s.spec.ports.some((p) => p.port === 8082) && s.spec.ports.some((p) => p.port === 8445)))
  for (const s of services) {
    const target = deployments.find((d) => labelsMatch(s.spec.selector, d.spec.template.metadata?.labels))
    rule(at(s), 'selects the pods of a Deployment', () => Boolean(target))
    if (target) {
      for (const p of s.spec.ports) {
        rule(at(s), `port ${p.name ?? p.port}: targetPort ${p.targetPort} is a container port`, () =>
          target.spec.template.spec.containers.some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort || cp.containerPort === (p.targetPort ?? p.port))))
      }
    }
  }

  // Autoscaling: who owns each Deployment's replica count.
  const owners = new Map()
  const own = (name, by) => owners.set(name, [...(owners.get(name) ?? []), by])
  for (const h of byKind('HorizontalPodAutoscaler')) {
    const t = h.spec.scaleTargetRef
    rule(at(h), `target Deployment ${t.name} exists`, () => t.kind === 'Deployment' && Boolean(find('Deployment', t.name)))
    rule(at(h), 'minReplicas <= maxReplicas', () => (h.spec.minReplicas ?? 1) <= h.spec.maxReplicas)
    own(t.name, id(h))
  }
  for (const so of byKind('ScaledObject')) {
    const t = so.spec.scaleTargetRef
    rule(at(so), `target Deployment ${t.name} exists`, () => (t.kind ?? 'Deployment') === 'Deployment' && Boolean(find('Deployment', t.name)))
    own(t.name, id(so))
    for (const trig of so.spec.triggers) {
      if (trig.authenticationRef) rule(at(so), `trigger ${trig.name}: TriggerAuthentication ${trig.authenticationRef.name} exists`, () => Boolean(find('TriggerAuthentication', trig.authenticationRef.name)))
    }
    if (t.name === dispatcher.metadata.name) {
      // One redis trigger per enabled output: the list BullMQ keeps its waiting jobs in.
      const prefix = envValue(dc, 'POSTEE_QUEUE_PREFIX') ?? 'postee'
      const outputs = cfgCheck.enabledOutputs(dispatcher)
      const expected = new Set(outputs.map((o) => `${prefix}:deliver.${encodeURIComponent(o)}:wait`))
      const lists = so.spec.triggers.filter((tr) => tr.type === 'redis').map((tr) => tr.metadata.listName)
      rule(at(so), 'one redis trigger per enabled output of cfg.yaml', () => {
        const missing = [...expected].filter((l) => !lists.includes(l))
        const extra = lists.filter((l) => !expected.has(l))
        return (missing.length === 0 && extra.length === 0 && lists.length === expected.size) || `missing ${JSON.stringify(missing)}, not an output ${JSON.stringify(extra)}`
      })
      for (const tr of so.spec.triggers.filter((x) => x.type === 'redis')) {
        rule(at(so), `trigger ${tr.name}: listLength is a positive integer`, () => /^[1-9]\d*$/.test(tr.metadata.listLength ?? ''))
      }
      rule(at(so), 'never scales the dispatcher to zero', () => (so.spec.minReplicaCount ?? 0) >= 1)
    }
  }
  for (const ta of byKind('TriggerAuthentication')) {
    for (const ref of ta.spec.secretTargetRef ?? []) rule(at(ta), `Secret ${ref.name} exists`, () => secretExists(ref.name))
  }
  for (const [name, by] of owners) {
    rule(`${overlay} Deployment/${name}`, 'at most one autoscaler (KEDA makes an HPA of its own)', () => by.length === 1 || by.join(' and '))
    rule(`${overlay} Deployment/${name}`, 'no spec.replicas when autoscaled (each apply would reset it)', () => find('Deployment', name)?.spec?.replicas === undefined)
  }
  const minReplicas = (d) => {
    const hpa = byKind('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === d.metadata.name)
    const so = byKind('ScaledObject').find((s) => s.spec.scaleTargetRef.name === d.metadata.name)
    return hpa ? hpa.spec.minReplicas ?? 1 : so ? so.spec.minReplicaCount ?? 0 : d.spec.replicas ?? 1
  }
  rule(at(ingest), 'at least 2 replicas (1 only in dev)', () => overlay === 'dev' || minReplicas(ingest) >= 2 || `min ${minReplicas(ingest)}`)
  for (const pdb of byKind('PodDisruptionBudget')) {
    const target = deployments.find((d) => labelsMatch(pdb.spec.selector?.matchLabels, d.spec.template.metadata?.labels))
    rule(at(pdb), 'selects the pods of a Deployment', () => Boolean(target))
    rule(at(pdb), 'does not block node drains at the minimum replica count', () => {
      if (!target) return true
      const min = minReplicas(target)
      if (typeof pdb.spec.minAvailable === 'number') return pdb.spec.minAvailable < min || `minAvailable ${pdb.spec.minAvailable} with ${min} replicas`
      if (typeof pdb.spec.maxUnavailable === 'number') return pdb.spec.maxUnavailable >= 1
      if (typeof pdb.spec.maxUnavailable === 'string') return Number.parseInt(pdb.spec.maxUnavailable, 10) > 0
      return typeof pdb.spec.minAvailable !== 'string' || `minAvailable ${pdb.spec.minAvailable} as a percentage can block drains`
    })
  }
  cfgCheck.check(set, dispatcher, ingest, secrets)
}

/** cfg.yaml inside the rendered ConfigMaps: the services' own validator, and its $VARs. */
function makeCfgCheck() {
  const cli = join(repo, 'packages/cli/dist/main.js')
  const state = { validated: 0, skipped: !existsSync(cli) }
  const cfgOf = (set, deployment) => {
    const volume = deployment.spec.template.spec.volumes?.find((v) => v.configMap)
    const cm = set.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume?.configMap?.name)
    return cm?.data?.['cfg.yaml']
  }
  let current
  return {
    state,
    enabledOutputs(dispatcher) {
      const items = parseYaml(cfgOf(current, dispatcher) ?? '[]') ?? []
      return items.filter((i) => String(i.type ?? '').toLowerCase() !== 'common' && (i.enable === true || i.Enable === true)).map((i) => i.name)
    },
    setCurrent(set) {
      current = set
    },
    check(set, dispatcher, ingest, secrets) {
      const where = `${set.name} cfg.yaml`
      const text = cfgOf(set, dispatcher)
      rule(where, 'ingest and dispatcher mount the same config', () => text !== undefined && text === cfgOf(set, ingest))
      if (text === undefined) return
      // `$NAME` / `${NAME}` string values are read from the environment (comments are not).
      const strings = (v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [])
      const vars = [...new Set(strings(parseYaml(text)).map((v) => /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(v.trim())?.[1]).filter(Boolean))]
      const generated = secrets.find((s) => s.metadata.name.startsWith('postee-credentials'))
      if (generated) {
        const keys = Object.keys({ ...generated.data, ...generated.stringData })
        for (const v of [...vars, 'DATABASE_URL', 'REDIS_URL']) rule(where, `$${v} is a key of Secret ${generated.metadata.name}`, () => keys.includes(v))
      }
      if (state.skipped) return
      const dir = mkdtempSync(join(tmpdir(), 'postee-cfg-'))
      try {
        writeFileSync(join(dir, 'cfg.yaml'), text)
        const env = { PATH: process.env.PATH }
        for (const v of vars) env[v] = /HOST/.test(v) ? 'smtp.example.com' : /URL/.test(v) ? 'https://hooks.example.com/x' : 'placeholder'
        const run = spawnSync(process.execPath, [cli, 'check-config', join(dir, 'cfg.yaml')], { env, encoding: 'utf8' })
        rule(where, "passes the services' validator (postee check-config)", () => run.status === 0 || (run.stdout + run.stderr).trim().split('\n').slice(0, 6).join(' | '))
        state.validated++
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Dockerfile, compose
// ---------------------------------------------------------------------------------------------

function dockerfileCheck() {
  const where = 'Dockerfile'
  const text = readFileSync(join(repo, 'Dockerfile'), 'utf8')
  for (const d of lintDockerfile(text)) problem(`${where}:${d.range.start.line + 1}`, `lint: ${d.message}`)
  const dockerfile = DockerfileParser.parse(text)
  const stages = new Map()
  let current
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword()
    const args = instruction.getArguments().map((a) => a.getValue())
    if (keyword === 'FROM') {
      const asIndex = args.findIndex((a) => a.toUpperCase() === 'AS')
      current = { from: args[0], name: asIndex >= 0 ? args[asIndex + 1] : undefined, instructions: [] }
      stages.set(current.name ?? `#${stages.size}`, current)
    } else if (current) {
      current.instructions.push({ keyword, args, text: instruction.getTextContent?.() ?? args.join(' ') })
    }
  }
  const all = (stage, keyword) => {
    const out = []
    for (let s = stages.get(stage); s; s = stages.get(s.from)) out.push(...s.instructions.filter((i) => i.keyword === keyword))
    return out
  }
  const argDefault = /ARG NODE_IMAGE=(\S+)/.exec(text)?.[1]
  rule(where, 'base image node:22-bookworm-slim', () => argDefault === 'node:22-bookworm-slim' || argDefault)
  for (const target of ['build', 'runtime', 'ingest', 'dispatcher', 'migrate']) rule(where, `stage ${target} exists`, () => stages.has(target))
  rule(where, 'the build prunes to production dependencies', () => all('build', 'RUN').some((r) => /pnpm (install[^&]*--prod|deploy)/.test(r.args.join(' '))))
  rule(where, 'runtime copies the build output, not the build stage toolchain', () => stages.get('runtime')?.from !== 'build')
  for (const [target, ports] of [['ingest', ['8082', '8445']], ['dispatcher', ['8091']]]) {
    const user = all(target, 'USER').at(0)?.args[0] ?? 'root'
    rule(where, `${target}: runs as a numeric non-root user`, () => /^[1-9]\d*(:\d+)?$/.test(user) || user)
    const exposed = all(target, 'EXPOSE').flatMap((e) => e.args)
    for (const p of ports) rule(where, `${target}: EXPOSE ${p}`, () => exposed.includes(p) || exposed.includes(`${p}/tcp`))
    rule(where, `${target}: HEALTHCHECK on /healthz`, () => all(target, 'HEALTHCHECK').some((h) => h.args.join(' ').includes('/healthz')))
    rule(where, `${target}: CMD runs its service`, () => all(target, 'CMD').at(0)?.args.join(' ').includes(`services/${target}/dist/main.js`))
  }
  rule(where, 'migrate: runs as a numeric non-root user', () => /^[1-9]/.test(all('migrate', 'USER').at(0)?.args[0] ?? 'root'))
  rule(where, 'migrate: CMD runs the migrations', () => all('migrate', 'CMD').at(0)?.args.join(' ').includes('migrations/dist/main.js'))
}

function composeCheck() {
  const where = 'docker-compose.yml'
  const compose = parseYaml(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'), { merge: true })
  const services = compose.services ?? {}
  const targets = Object.entries(services).filter(([, s]) => s.build)
  rule(where, 'postgres and redis have health checks and volumes', () =>
    ['postgres', 'redis'].every((n) => services[n]?.healthcheck && services[n]?.volumes?.length))
  for (const [name, s] of targets) {
    rule(`${where} ${name}`, 'read_only root filesystem with a tmpfs /tmp', () => s.read_only === true && (s.tmpfs ?? []).some((t) => String(t).startsWith('/tmp')))
  }
  const migrate = targets.find(([, s]) => s.build.target === 'migrate')
  rule(where, 'a one-shot migrate service that ingest and dispatcher wait for', () =>
    Boolean(migrate) && ['ingest', 'dispatcher'].every((n) => services[n]?.depends_on?.[migrate[0]]?.condition === 'service_completed_successfully'))
  rule(where, 'ingest publishes 8082 and 8445, with POSTEE_MIGRATE=off', () =>
    ['8082:8082', '8445:8445'].every((p) => services.ingest?.ports?.includes(p)) && services.ingest?.environment?.POSTEE_MIGRATE === 'off')
  rule(where, 'dispatcher: 2 replicas, stop grace above the drain grace', () => {
    const d = services.dispatcher
    const grace = Number(/^(\d+)s$/.exec(d?.stop_grace_period ?? '')?.[1] ?? 10) * 1000
    return d?.deploy?.replicas === 2 && grace > Number(d?.environment?.POSTEE_DRAIN_GRACE_MS ?? 20000)
  })
  rule(where, 'mailpit publishes its web UI on 8025', () => (services.mailpit?.ports ?? []).includes('8025:8025') && String(services.mailpit?.image).startsWith('axllent/mailpit'))
  // The config the containers mount: every target must be a service of this file.
  const mount = services.dispatcher?.volumes?.find((v) => String(v).endsWith(':/config/cfg.yaml:ro'))
  const cfgPath = mount && join(repo, String(mount).split(':')[0])
  rule(where, 'the mounted config exists', () => Boolean(cfgPath && existsSync(cfgPath)))
  if (!cfgPath || !existsSync(cfgPath)) return
  const items = parseYaml(readFileSync(cfgPath, 'utf8')) ?? []
  const enabled = items.filter((i) => i.enable === true)
  for (const kind of ['webhook', 'email']) rule('config/compose-cfg.yaml', `an enabled ${kind} integration`, () => enabled.some((i) => i.type === kind))
  for (const i of enabled) {
    const host = i.url ? new URL(i.url).hostname : i.host
    const port = i.url ? Number(new URL(i.url).port || 80) : Number(i.port ?? 25)
    rule('config/compose-cfg.yaml', `${i.name}: target ${host}:${port} is a compose service`, () => Boolean(services[host]))
    if (i.type === 'email') rule('config/compose-cfg.yaml', `${i.name}: sends to Mailpit's SMTP port 1025`, () => host === 'mailpit' && port === 1025)
  }
  {
    const cli = join(repo, 'packages/cli/dist/main.js')
    if (existsSync(cli)) {
      const run = spawnSync(process.execPath, [cli, 'check-config', cfgPath], { env: { PATH: process.env.PATH }, encoding: 'utf8' })
      rule('config/compose-cfg.yaml', "passes the services' validator (postee check-config)", () => run.status === 0 || (run.stdout + run.stderr).trim().split('\n').slice(0, 6).join(' | '))
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dashboard and alerts
// ---------------------------------------------------------------------------------------------

// prom-client 15's default metrics (collectDefaultMetrics), as both services export them.
const DEFAULT_METRICS = new Set([
  'process_cpu_user_seconds_total', 'process_cpu_system_seconds_total', 'process_cpu_seconds_total',
  'process_start_time_seconds', 'process_resident_memory_bytes', 'process_virtual_memory_bytes',
  'process_heap_bytes', 'process_open_fds', 'process_max_fds',
  ...['', '_min', '_max', '_mean', '_stddev', '_p50', '_p90', '_p99'].map((s) => `nodejs_eventloop_lag${s}_seconds`),
  'nodejs_active_resources', 'nodejs_active_resources_total', 'nodejs_active_handles', 'nodejs_active_handles_total',
  'nodejs_active_requests', 'nodejs_active_requests_total', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes', 'nodejs_heap_space_size_total_bytes', 'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes', 'nodejs_version_info',
  'nodejs_gc_duration_seconds_bucket', 'nodejs_gc_duration_seconds_sum', 'nodejs_gc_duration_seconds_count',
])
// Metrics of other exporters the rules may use: Prometheus itself and kube-state-metrics.
const OTHER_METRICS = new Set(['up', 'kube_deployment_status_replicas_available', 'kube_deployment_spec_replicas'])
// Labels Prometheus adds to every scraped series.
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', '__name__'])

/** postee_* metric families defined in services/*\/src/metrics.ts: name → { type, labels }. */
function definedMetrics() {
  const metrics = new Map()
  for (const service of ['ingest', 'dispatcher']) {
    const file = join(repo, 'services', service, 'src', 'metrics.ts')
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{([\s\S]*?)\}\)/g)) {
      const name = /name:\s*'([^']+)'/.exec(m[2])?.[1]
      if (!name) continue
      const labels = [.../labelNames:\s*\[([^\]]*)\]/.exec(m[2])?.[1]?.matchAll(/'([^']+)'/g) ?? []].map((l) => l[1])
      metrics.set(name, { type: m[1], labels: new Set(labels) })
    }
  }
  return metrics
}

/** Checks an expression's metric names, and the label matchers written right after them. */
function checkExpr(where, expr, metrics) {
  const known = (name) => {
    if (DEFAULT_METRICS.has(name) || OTHER_METRICS.has(name) || metrics.has(name)) return { labels: undefined }
    const base = name.replace(/_(bucket|sum|count)$/, '')
    const family = metrics.get(base)
    if (family && family.type === 'Histogram') return { labels: new Set([...family.labels, ...(name.endsWith('_bucket') ? ['le'] : [])]) }
    return undefined
  }
  const stripped = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""') // no names inside strings
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'])
  for (const m of stripped.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)) {
    const name = m[1]
    if (keywords.has(name) || !/^(postee|process|nodejs|kube|up)/.test(name)) continue
    const before = stripped.slice(0, m.index)
    if (/(by|without|on|ignoring|group_left|group_right)\s*\([^)]*$/.test(before) || /\{[^}]*$/.test(before)) continue // a label name
    const family = known(name)
    rule(where, `metric ${name} is defined`, () => Boolean(family))
    const labels = family?.labels ?? metrics.get(name)?.labels
    const selector = /^\{([^}]*)\}/.exec(stripped.slice(m.index + name.length))
    if (selector && labels) {
      for (const lm of selector[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) {
        rule(where, `${name} has the label ${lm[1]}`, () => labels.has(lm[1]) || TARGET_LABELS.has(lm[1]))
      }
    }
  }
}

function observabilityCheck(rulesOut) {
  const metrics = definedMetrics()
  rule('services/*/src/metrics.ts', 'defines the postee_* metrics', () => metrics.size >= 10 || `${metrics.size} found`)
  // Dashboard
  const where = 'deploy/observability/grafana-dashboard.json'
  const dashboard = JSON.parse(readFileSync(join(repo, where), 'utf8'))
  const panels = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])])
  const ids = panels.map((p) => p.id)
  rule(where, 'unique panel ids', () => new Set(ids).size === ids.length)
  rule(where, 'uid and title', () => Boolean(dashboard.uid && dashboard.title))
  const variables = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]))
  const exprs = []
  for (const p of panels.filter((x) => x.type !== 'row')) {
    rule(`${where} "${p.title}"`, 'has a query', () => (p.targets ?? []).length > 0)
    for (const t of p.targets ?? []) exprs.push({ where: `${where} "${p.title}" ${t.refId}`, expr: t.expr })
  }
  for (const v of variables.values()) if (v.type === 'query') exprs.push({ where: `${where} variable ${v.name}`, expr: (v.query?.query ?? v.query ?? '').replace(/^label_values\((.*),\s*\w+\)$/, '$1') })
  const covered = exprs.map((e) => e.expr).join('\n')
  for (const metric of metrics.keys()) {
    rule(where, `shows ${metric}`, () => covered.includes(metric))
  }
  for (const metric of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']) rule(where, `shows ${metric}`, () => covered.includes(metric))
  const recording = []
  for (const { where: w, expr } of exprs) {
    counts.dashboardQueries++
    for (const used of expr.matchAll(/\$(\w+)/g)) {
      if (!used[1].startsWith('__')) rule(w, `variable $${used[1]} is defined`, () => variables.has(used[1]))
    }
    const concrete = expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$(\w+)/g, '.*')
    checkExpr(w, concrete, metrics)
    recording.push({ record: `dashboard:query:${recording.length}`, expr: concrete, labels: { source: w.replace(/"/g, "'") } })
  }
  // Alerts
  const alertsFile = 'deploy/observability/alerts.yaml'
  const alerts = parseYaml(readFileSync(join(repo, alertsFile), 'utf8'))
  const names = new Set()
  for (const group of alerts.groups ?? []) {
    for (const r of group.rules ?? []) {
      const w = `${alertsFile} ${r.alert ?? r.record}`
      counts.alertRules++
      checkExpr(w, r.expr, metrics)
      if (!r.alert) continue
      rule(w, 'unique alert name', () => !names.has(r.alert))
      names.add(r.alert)
      rule(w, 'severity critical or warning', () => ['critical', 'warning'].includes(r.labels?.severity))
      rule(w, 'summary and description', () => Boolean(r.annotations?.summary && r.annotations?.description))
    }
  }
  for (const needed of ['PosteeDeliveriesDead', 'PosteeDeliveryFailureRatioHigh', 'PosteeQueueOldestJobWaiting', 'PosteeTargetDown', 'PosteeReplicasUnavailable', 'PosteeQueueBacklogGrowing', 'PosteeMemoryNearLimit']) {
    rule(alertsFile, `has ${needed}`, () => names.has(needed))
  }
  if (rulesOut) writeFileSync(rulesOut, JSON.stringify({ groups: [{ name: 'dashboard-queries', rules: recording }] }, null, 1))
}

// ---------------------------------------------------------------------------------------------

const cfgCheck = makeCfgCheck()
if (args.rendered) {
  const sets = loadRendered(args.rendered)
  for (const set of sets) {
    await schemaCheck(set)
    cfgCheck.setCurrent(set)
    invariants(set, cfgCheck)
  }
  strictFieldCheck(sets)
  counts.renders = sets.length
}
dockerfileCheck()
composeCheck()
observabilityCheck(args['rules-out'])

for (const p of problems) console.log(`  problem: ${p}`)
const cfgNote = cfgCheck.state.skipped ? 'cfg.yaml check skipped (run pnpm build first)' : `${cfgCheck.state.validated} cfg.yaml checked by postee check-config`
console.log(
  `validate: ${counts.objects} objects in ${counts.renders ?? 0} renders (schema + strict fields), ${counts.invariants} rules, ` +
    `${counts.dashboardQueries} dashboard queries, ${counts.alertRules} alert rules, ${cfgNote}: ${problems.length} problem(s)`,
)
process.exit(problems.length > 0 ? 1 : 0)
