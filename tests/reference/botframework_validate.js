// Decides each case with the Bot Framework SDK's own validator (npm botframework-connector):
// JwtTokenValidation.authenticateRequest, with the channel's OpenID metadata at a local server.
// Input (a JSON file): {appId, metadataUrl, cases: [{name, authHeader, activity}]}.
// Output (stdout): [{name, accepted, error}].
const fs = require('fs');
const { JwtTokenValidation, ChannelValidation, SimpleCredentialProvider } = require('botframework-connector');

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  ChannelValidation.OpenIdMetadataEndpoint = input.metadataUrl;
  const credentials = new SimpleCredentialProvider(input.appId, 'not used to validate');
  const results = [];
  // The SDK reports failures on stderr too; only the verdicts go to stdout.
  console.error = () => {};
  for (const c of input.cases) {
    try {
      await JwtTokenValidation.authenticateRequest(c.activity, c.authHeader, credentials, '');
      results.push({ name: c.name, accepted: true, error: null });
    } catch (error) {
      results.push({ name: c.name, accepted: false, error: String(error && error.message) });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\n');
  process.exit(2);
});
