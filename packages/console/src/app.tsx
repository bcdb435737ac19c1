import { useEffect, useRef, useState } from 'preact/hooks'
import { LocationProvider, Route, Router, useLocation } from 'preact-iso'
import { checkToken, onSignedOut, signIn, signOut } from './api.js'
import { ConfigPage } from './pages/config.js'
import { DeliveriesPage } from './pages/deliveries.js'
import { FindingsPage } from './pages/findings.js'
import { OverviewPage } from './pages/overview.js'
import { ScanDetailPage } from './pages/scan-detail.js'
import { ScansPage } from './pages/scans.js'
import { useTitle } from './ui.js'

const NAV = [
  { href: '/ui/', label: 'Overview' },
  { href: '/ui/scans', label: 'Scans' },
  { href: '/ui/deliveries', label: 'Deliveries' },
  { href: '/ui/findings', label: 'Findings' },
  { href: '/ui/config', label: 'Configuration' },
] as const

/** The console: the sign-in form until a token is accepted, then the pages. */
export function App() {
  const [signedIn, setSignedIn] = useState(false)
  const [notice, setNotice] = useState('')
  useEffect(
    () =>
      onSignedOut((reason) => {
        setSignedIn(false)
        setNotice(reason)
      }),
    [],
  )
  return (
    <LocationProvider scope="/ui">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Postee console</span>
        {signedIn && <Nav />}
        {signedIn && (
          <button type="button" class="signout" onClick={() => signOut('You signed out.')}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {signedIn ? (
          <Pages />
        ) : (
          <SignIn
            notice={notice}
            onSignedIn={() => {
              setNotice('')
              setSignedIn(true)
            }}
          />
        )}
      </main>
    </LocationProvider>
  )
}

function Nav() {
  const { path } = useLocation()
  const current = (href: string) => (href === '/ui/' ? path === '/ui/' || path === '/ui' : path.startsWith(href))
  return (
    <nav aria-label="Console">
      <ul>
        {NAV.map((item) => (
          <li key={item.href}>
            <a href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
              {item.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  )
}

function Pages() {
  const { path } = useLocation()
  // After client-side navigation, focus goes to the new page so screen readers announce it.
  const first = useRef(true)
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    document.getElementById('main')?.focus()
  }, [path])
  return (
    <Router>
      <Route path="/ui" component={OverviewPage} />
      <Route path="/ui/" component={OverviewPage} />
      <Route path="/ui/scans" component={ScansPage} />
      <Route path="/ui/scans/:id" component={ScanDetailPage} />
      <Route path="/ui/deliveries" component={DeliveriesPage} />
      <Route path="/ui/findings" component={FindingsPage} />
      <Route path="/ui/config" component={ConfigPage} />
      <Route default component={NotFound} />
    </Router>
  )
}

function NotFound() {
  useTitle('Not found')
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no console page at this address. Go to the <a href="/ui/">overview</a>.
      </p>
    </section>
  )
}

function SignIn(props: { notice: string; onSignedIn: () => void }) {
  useTitle('Sign in')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    const form = event.currentTarget as HTMLFormElement
    const input = form.elements.namedItem('token') as HTMLInputElement
    const value = input.value.trim()
    if (value === '') {
      setError('Enter the admin token (POSTEE_ADMIN_TOKEN of ingest).')
      input.focus()
      return
    }
    setBusy(true)
    setError('')
    try {
      const refusal = await checkToken(value)
      if (refusal === undefined) {
        signIn(value)
        input.value = ''
        props.onSignedIn()
      } else {
        // The API's reason tells a wrong token from an ingest token or an admin API left closed.
        setError(`That token was refused (${refusal}). Check it and try again.`)
        input.select()
      }
    } catch (failure) {
      setError(`Could not check the token: ${(failure as Error).message}`)
    } finally {
      setBusy(false)
    }
  }
  return (
    <section class="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {props.notice && <p role="status">{props.notice}</p>}
      <p class="muted">
        The console uses ingest's admin API. The token is kept in this tab's memory only: reloading the page asks for it again.
      </p>
      <form onSubmit={submit} noValidate>
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          aria-describedby={error ? 'signin-error' : undefined}
          aria-invalid={error ? 'true' : undefined}
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p id="signin-error" class="error-text" role="alert">
          {error}
        </p>
      </form>
    </section>
  )
}
