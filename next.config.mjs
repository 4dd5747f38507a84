/** @type {import('next').NextConfig} */
const nextConfig = {
  // Do not advertise the framework and version to scanners.
  poweredByHeader: false,
  // `npm run build:standalone`: a self-contained server in .next/standalone (README, Deploy).
  output: process.env.KEYCARD_STANDALONE === "1" ? "standalone" : undefined,
  // Loaded by name at run time, not bundled: the password workers require it
  // (lib/auth/password-workers.ts).
  serverExternalPackages: ["bcryptjs"],
  // No module imports bcryptjs (the workers require it by name), and Node, not
  // Next.js, loads the request hooks (README, Deploy): file tracing would leave
  // both out of the standalone folder.
  outputFileTracingIncludes: { "/**": ["./node_modules/bcryptjs/**/*", "./lib/server/request-hooks.mjs"] },
  // No page shows an optimised image; the optimiser would fetch any URL of the app
  // as an image and answer 500 for what is not one.
  images: { unoptimized: true },
  reactStrictMode: true,
  // The security headers are not set here: lib/server/request-hooks.mjs puts the static
  // ones on every answer, Next.js's own redirects included, which headers() here
  // would miss; middleware.ts adds each page's Content-Security-Policy.
};

export default nextConfig;
