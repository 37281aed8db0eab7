import { authenticatedPushSuite } from "./registry-push-auth-suite.js";

// One registry per file: Basic authentication (htpasswd)
authenticatedPushSuite("htpasswd");
