// Scanners' distribution names (Trivy's OS families, Grype's distro types) that differ from os-release `ID`.
const IDS: Record<string, string> = {
  redhat: "rhel",
  amazon: "amzn",
  amazonlinux: "amzn",
  oracle: "ol",
  oraclelinux: "ol",
  alma: "almalinux",
  rockylinux: "rocky",
  "cbl-mariner": "mariner",
  "opensuse.leap": "opensuse-leap",
  "opensuse.tumbleweed": "opensuse-tumbleweed",
  opensuseleap: "opensuse-leap",
  "suse linux enterprise server": "sles",
  "suse linux enterprise micro": "sle-micro",
  slem: "sle-micro",
};

/** A scanner's name for a distribution as the os-release `ID` (`redhat` → `rhel`, `amazon` → `amzn`); others lower-cased. */
export function distroId(name: string): string {
  const lower = name.trim().toLowerCase();
  return IDS[lower] ?? lower;
}
