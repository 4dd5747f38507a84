// Headers every response gets. The Content-Security-Policy (per-request nonce)
// and HSTS (only when served over HTTPS) come from middleware.ts.
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
];

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
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default nextConfig;
