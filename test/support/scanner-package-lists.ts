// Package lists the scanners' own tests expect from the corpus's package databases, as SOURCES.md quotes them.
// Shared by the reader's unit tests and the image-level comparison, so both check against the same answer.

/** trivy TestParseApkInfo on `pkgdb/apk/trivy/installed`: 15 packages, the versionless stanza dropped. */
export const TRIVY_APK_PACKAGES: readonly string[] = [
  "musl 1.1.14-r10",
  "busybox 1.24.2-r9",
  "alpine-baselayout 3.0.3-r0",
  "alpine-keys 1.1-r0",
  "zlib 1.2.8-r2",
  "libcrypto1.0 1.0.2h-r1",
  "libssl1.0 1.0.2h-r1",
  "apk-tools 2.6.7-r0",
  "scanelf 1.1.6-r0",
  "musl-utils 1.1.14-r10",
  "libc-utils 0.7-r0",
  "pkgconf 1.6.0-r0",
  "sqlite-libs 3.26.0-r3",
  "test 2.9.11_pre20061021-r2",
  "ada-libs 2.7.4-r0",
];

/** SOURCES.md's computed-facts row for `pkgdb/apk/syft/multiple-2/lib/apk/db/installed`: 14 packages, in order. */
export const SYFT_APK_MULTIPLE_2_PACKAGES: readonly string[] = [
  "alpine-baselayout-data 3.2.0-r22",
  "musl 1.2.3-r0",
  "busybox 1.35.0-r17",
  "alpine-baselayout 3.2.0-r22",
  "alpine-keys 2.4-r1",
  "ca-certificates-bundle 20220614-r0",
  "libcrypto1.1 1.1.1q-r0",
  "libssl1.1 1.1.1q-r0",
  "ssl_client 1.35.0-r17",
  "zlib 1.2.12-r3",
  "apk-tools 2.12.9-r3",
  "scanelf 1.3.4-r0",
  "musl-utils 1.2.3-r0",
  "libc-utils 0.7.2-r3",
];
