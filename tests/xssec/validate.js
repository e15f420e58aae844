// Validates a bearer token the way an SAP BTP application does: @sap/xssec, SAP's own library,
// with the service key's `uaa` credentials only (it fetches the keys from <uaadomain>/token_keys).
// Prints what the security context says; exit 1 with the library's error when it refuses the token.
// usage: node validate.js SERVICE_KEY_FILE TOKEN   (NODE_EXTRA_CA_CERTS: the simulator's CA)
const fs = require("fs");
const { XsuaaService, createSecurityContext } = require("@sap/xssec");

(async () => {
  const key = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const service = new XsuaaService(key.uaa);
  try {
    const ctx = await createSecurityContext(service, { jwt: process.argv[3] });
    console.log(JSON.stringify({
      clientId: ctx.getClientId(),
      zoneId: ctx.getZoneId(),
      grantType: ctx.getGrantType(),
      manageScope: ctx.checkScope(`${key.uaa.xsappname}.imp-cdm-feature-manage-ui`),
    }));
  } catch (e) {
    console.error(`${e.constructor.name}: ${e.message}`);
    process.exit(1);
  }
})();
