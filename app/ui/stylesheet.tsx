// The site's one stylesheet, a plain file in public/ rather than an
// `import "./globals.css"`: Next.js renders an imported stylesheet through React's
// resource hoisting, with the nonce, in the HTML and again in the page payload,
// which made every signed-in page measurably dearer (docs/performance.md). The CSP allows it as 'self'; middleware.ts's matcher
// skips it by name.
export function Stylesheet() {
  // eslint-disable-next-line @next/next/no-css-tags -- a plain file on purpose, see above
  return <link rel="stylesheet" href="/keycard.css" />;
}
