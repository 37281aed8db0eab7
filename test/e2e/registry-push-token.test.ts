import { authenticatedPushSuite } from "./registry-push-auth-suite.js";

// One registry per file: Bearer tokens from a token server
authenticatedPushSuite("token");
