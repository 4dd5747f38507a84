/** @type {import('next').NextConfig} */
const nextConfig = {
  // Do not advertise the framework and version to scanners.
  poweredByHeader: false,
  // `npm run build:standalone`: a self-contained server in .next/standalone (README, Deploy).
  output: process.env.KEYCARD_STANDALONE === "1" ? "standalone" : undefined,
  // Loaded by name at run time, not bundled: the password workers require it
  // (lib/password-workers.ts).
  serverExternalPackages: ["bcryptjs"],
  // No module imports bcryptjs (the workers require it by name), so file tracing
  // would leave it out of the standalone folder.
  outputFileTracingIncludes: { "/**": ["./node_modules/bcryptjs/**/*"] },
  reactStrictMode: true,
  // The security headers are not set here but as each response starts
  // (lib/response-headers.ts, from instrumentation.ts): through Next.js's routing
  // they cost measurably more.
};

export default nextConfig;
