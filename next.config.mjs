/** @type {import('next').NextConfig} */
const nextConfig = {
  // Do not advertise the framework and version to scanners.
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
