// The signed-in pages' navigation. A component each page renders rather than a
// route-group layout: one layout segment less in every signed-in response
// (docs/performance.md). Plain links and a plain form post (to /sign-out): they
// work without JavaScript and cost the server nothing to render.
export function AppNav() {
  return (
    <nav aria-label="Main">
      <span>
        <a href="/dashboard">Dashboard</a> · <a href="/protected">Protected</a> · <a href="/account">Account</a>
      </span>
      <form method="post" action="/sign-out">
        <button type="submit">Sign out</button>
      </form>
    </nav>
  );
}
