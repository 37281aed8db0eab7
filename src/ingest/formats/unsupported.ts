import { isObject, type JsonObject } from "../document-reader.js";
import type { KnownUnsupportedFormat } from "../report-format.js";

// Every test below is a cheap look at a few keys: these run only after no supported format matched.

const SUPPORTED_SCANNERS =
  "Trivy (--format json), Grype (-o json), Snyk, Clair, Anchore, twistcli, or a CycloneDX/SPDX SBOM";

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : undefined;
}

function has(object: JsonObject, ...keys: string[]): boolean {
  return keys.every((k) => object[k] !== undefined);
}

function obj(document: unknown): JsonObject | undefined {
  return isObject(document) ? document : undefined;
}

function isSarif(d: JsonObject): boolean {
  return (
    Array.isArray(d.runs) &&
    (d.version === "2.1.0" || (typeof d.$schema === "string" && d.$schema.includes("sarif")))
  );
}

function sarifTool(d: JsonObject): unknown {
  const run = first(d.runs);
  const tool = isObject(run) ? run.tool : undefined;
  const driver = isObject(tool) ? tool.driver : undefined;
  return isObject(driver) ? driver.name : undefined;
}

function isGitlabReport(d: JsonObject): boolean {
  return isObject(d.scan) && typeof d.scan.type === "string" && Array.isArray(d.vulnerabilities);
}

function gitlabScanner(d: JsonObject): unknown {
  const scan = isObject(d.scan) ? d.scan : {};
  return isObject(scan.scanner) ? scan.scanner.id : undefined;
}

function isVulnerabilityReportCrd(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.apiVersion === "string" &&
    value.apiVersion.startsWith("aquasecurity.github.io/") &&
    value.kind === "VulnerabilityReport"
  );
}

// anchore-cli / anchorectl `evaluate check` rows: a policy id, the evaluation detail, and a status or final action.
function isEvaluationRow(value: unknown): boolean {
  return (
    isObject(value) && has(value, "policyId", "detail") && (has(value, "finalAction") || has(value, "status"))
  );
}

function isAnchorePolicyEvaluation(document: unknown): boolean {
  const d = obj(document);
  // anchorectl (newer): {imageDigest, policyId, evaluations: […]}
  if (d) return Array.isArray(d.evaluations) && has(d, "imageDigest", "policyId");
  const row = first(document);
  if (isEvaluationRow(row)) return true;
  // anchore-cli --json evaluate check: [{"sha256:…": {"<tag>": [{policyId, status, detail…}]}}]
  if (!isObject(row)) return false;
  const byDigest = Object.entries(row)[0];
  if (!byDigest?.[0].startsWith("sha256:") || !isObject(byDigest[1])) return false;
  const byTag = Object.values(byDigest[1])[0];
  return isEvaluationRow(first(byTag));
}

function isClairApiObject(d: JsonObject): boolean {
  // A manifest (index request), package, distribution, environment, vulnerability or affected-manifests object.
  if (
    typeof d.hash === "string" &&
    Array.isArray(d.layers) &&
    isObject(first(d.layers)) &&
    d.packages === undefined
  ) {
    return true;
  }
  if (isObject(d.vulnerable_manifests) && isObject(d.vulnerabilities)) return true;
  if (has(d, "name", "normalized_severity") && (isObject(d.package) || isObject(d.dist) || isObject(d.repo)))
    return true;
  if (has(d, "name", "version", "kind", "normalized_version")) return true;
  if (has(d, "did", "version_id") || has(d, "did", "pretty_name")) return true;
  return isObject(d.value) && has(d.value, "package_db", "introduced_in");
}

/**
 * Tool outputs and other documents we recognise but do not read, most specific first, each with what to
 * do instead. Consulted only after no supported report, SBOM or VEX format matched.
 */
export const UNSUPPORTED_FORMATS: readonly KnownUnsupportedFormat[] = [
  {
    name: "Trivy's SARIF output",
    detect: (d) => isObject(d) && isSarif(d) && sarifTool(d) === "Trivy",
    hint: "Run trivy with --format json: SARIF keeps no package types, fixed versions or CVSS details.",
  },
  {
    name: "a SARIF log",
    detect: (d) => isObject(d) && isSarif(d),
    hint: `SARIF keeps no package details; pass the scanner's own JSON instead: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "Trivy's GitLab container-scanning output",
    detect: (d) => isObject(d) && isGitlabReport(d) && gitlabScanner(d) === "trivy",
    hint: "Run trivy with --format json (the GitLab template drops package paths and CVSS details).",
  },
  {
    name: "a GitLab security report",
    detect: (d) => isObject(d) && isGitlabReport(d),
    hint: `Pass the scanner's own JSON instead: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "a Trivy Operator VulnerabilityReport",
    detect: (d) => {
      if (isVulnerabilityReportCrd(d)) return true;
      // `kubectl get vulnerabilityreports -o json` wraps them in a List.
      return (
        isObject(d) &&
        typeof d.kind === "string" &&
        d.kind.endsWith("List") &&
        isVulnerabilityReportCrd(first(d.items))
      );
    },
    hint: "Scan the image the report names (report.artifact) with trivy image --format json, or export the Trivy Operator's SbomReport as CycloneDX.",
  },
  {
    name: "a Trivy Operator report (aquasecurity.github.io custom resource)",
    detect: (d) =>
      isObject(d) && typeof d.apiVersion === "string" && d.apiVersion.startsWith("aquasecurity.github.io/"),
    hint: "Only vulnerability data is read: scan the image with trivy image --format json.",
  },
  {
    name: "an Anchore policy evaluation (anchore-cli / anchorectl evaluate check)",
    detect: isAnchorePolicyEvaluation,
    hint: "A policy evaluation is Anchore's decision, not the findings: pass the image's vulnerabilities (anchorectl image vulnerabilities IMAGE -o json, or anchore-cli --json image vuln IMAGE all) and the bundle with --policy.",
  },
  {
    name: "an empty JSON array (anchorectl prints [] when it has nothing to list)",
    detect: (d) => Array.isArray(d) && d.length === 0,
    hint: "There is nothing to read in it and no telling which tool wrote it. For Anchore, pass the vulnerability list: anchorectl image vulnerabilities IMAGE -o json.",
  },
  {
    name: "Aqua Security scan output",
    detect: (d) => {
      if (!isObject(d)) return false;
      if (
        has(d, "image", "resources") &&
        (has(d, "vulnerability_summary") || has(d, "image_assurance_results"))
      )
        return true;
      if (Array.isArray(d.cves) && has(d, "cves_counts", "image_name")) return true;
      // The Aqua API's paged vulnerability list.
      const row = first(d.result);
      return (
        has(d, "count", "page") &&
        isObject(row) &&
        (has(row, "aqua_severity") || has(row, "vulnerability_id", "image_digest"))
      );
    },
    hint: `Export an SBOM or scan the image with a supported scanner: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "Dockle image lint output",
    detect: (d) =>
      isObject(d) && isObject(d.summary) && Array.isArray(d.details) && has(d.summary, "fatal", "warn"),
    hint: "Dockle checks the image configuration, not vulnerabilities: express those checks with the dockerfile and metadata gates, and pass a vulnerability report.",
  },
  {
    name: "JFrog Xray scan output",
    detect: (d) => {
      const row = first(d);
      return isObject(row) && has(row, "scan_id", "component_id") && Array.isArray(row.vulnerabilities);
    },
    hint: `Have Xray export a CycloneDX SBOM with vulnerabilities, or scan the image with a supported scanner: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "NeuVector scan output",
    detect: (d) =>
      isObject(d) &&
      d.kind === undefined &&
      isObject(d.report) &&
      Array.isArray(d.report.vulnerabilities) &&
      (has(d.report, "setid_perms") ||
        has(d.report, "envs") ||
        has(d.report, "modules") ||
        has(d.report, "cmds")),
    hint: `Scan the image with a supported scanner: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "osv-scanner output",
    detect: (d) => {
      const result = isObject(d) ? first(d.results) : undefined;
      return isObject(result) && isObject(result.source) && Array.isArray(result.packages);
    },
    hint: `osv-scanner's JSON is not read; scan the image with a supported scanner: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "Sysdig CLI scanner output",
    detect: (d) =>
      isObject(d) &&
      isObject(d.result) &&
      isObject(d.scanner) &&
      typeof d.scanner.name === "string" &&
      d.scanner.name.startsWith("sysdig"),
    hint: `Have Sysdig export a CycloneDX SBOM, or scan the image with a supported scanner: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "a Sysdig vulnerability report export",
    detect: (d) => {
      const row = isObject(d) ? first(d.data) : undefined;
      return isObject(row) && has(row, "vulnName", "vulnSeverity");
    },
    hint: `Scan the image with a supported scanner: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "wizcli image scan output",
    detect: (d) =>
      isObject(d) &&
      isObject(d.result) &&
      has(d, "scanOriginResource") &&
      (has(d.result, "osPackages") || has(d.result, "libraries")),
    hint: `Scan the image with a supported scanner: ${SUPPORTED_SCANNERS}.`,
  },
  {
    name: "a DSSE envelope (an in-toto attestation)",
    detect: (d) =>
      isObject(d) &&
      typeof d.payloadType === "string" &&
      typeof d.payload === "string" &&
      Array.isArray(d.signatures),
    hint: "It is an in-toto attestation; extract its predicate (after verifying the signature, e.g. cosign verify-attestation): jq -r .payload FILE | base64 -d | jq .predicate > sbom.json, then pass sbom.json.",
  },
  {
    name: "an in-toto attestation statement",
    detect: (d) =>
      isObject(d) &&
      typeof d._type === "string" &&
      d._type.startsWith("https://in-toto.io/Statement") &&
      has(d, "predicate"),
    hint: "Extract its predicate and pass that: jq .predicate FILE > sbom.json.",
  },
  {
    name: "a Sigstore bundle",
    detect: (d) =>
      isObject(d) &&
      typeof d.mediaType === "string" &&
      d.mediaType.startsWith("application/vnd.dev.sigstore.bundle"),
    hint: "Extract the attestation's predicate: jq -r .dsseEnvelope.payload FILE | base64 -d | jq .predicate > sbom.json.",
  },
  {
    name: "a JSON Schema",
    detect: (d) => isObject(d) && typeof d.$schema === "string" && d.$schema.includes("json-schema.org"),
    hint: "A schema describes documents; pass the report itself.",
  },
  {
    name: "an OpenAPI description",
    detect: (d) =>
      isObject(d) && (typeof d.openapi === "string" || typeof d.swagger === "string") && isObject(d.paths),
    hint: "An API description is not a report; pass the report the API returns.",
  },
  {
    name: "a Clair v4 notification (notifier webhook body or notification page)",
    detect: (d) =>
      isObject(d) &&
      (has(d, "notification_id", "callback") || (isObject(d.page) && Array.isArray(d.notifications))),
    hint: "It lists manifests whose vulnerabilities changed; fetch each one's report (GET /matcher/api/v1/vulnerability_report/DIGEST) and pass that.",
  },
  {
    name: "a single Clair v4 API object (manifest, package, distribution, vulnerability…)",
    detect: (d) => isObject(d) && isClairApiObject(d),
    hint: "Pass the image's whole report: GET /matcher/api/v1/vulnerability_report/DIGEST from Clair.",
  },
  {
    name: "a Harbor webhook event",
    detect: (d) =>
      isObject(d) && typeof d.type === "string" && d.occur_at !== undefined && isObject(d.event_data),
    hint: "It announces an artifact (event_data.resources); fetch its report from Harbor (GET /api/v2.0/projects/P/repositories/R/artifacts/DIGEST/additions/vulnerabilities) or check the image it names.",
  },
  {
    name: "a Docker registry notification",
    detect: (d) => {
      if (!isObject(d)) return false;
      const event = first(d.events);
      if (isObject(event) && isObject(event.target) && typeof event.action === "string") return true;
      // A single event, or just its target.
      return isObject(d.target) && has(d.target, "digest", "repository");
    },
    hint: "It names a pushed or pulled image (target.repository, target.digest): check that image, or let the cipolice server receive registry events.",
  },
  {
    name: "a Docker Hub webhook payload",
    detect: (d) => isObject(d) && isObject(d.push_data) && has(d, "callback_url", "repository"),
    hint: "It names a pushed tag (repository.repo_name, push_data.tag): check that image.",
  },
  {
    name: "a Quay repository notification",
    detect: (d) => isObject(d) && Array.isArray(d.updated_tags) && has(d, "docker_url", "repository"),
    hint: "It names pushed tags (docker_url, updated_tags): check those images.",
  },
];
