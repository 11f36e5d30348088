// Checks activities against the schema of npm @microsoft/agents-activity (Activity.fromObject,
// which validates with zod). Input: a JSON file holding an array of activities.
// Output (stdout): {checked, failures: [{index, error}]}; exit code 1 when any fails.
const fs = require('fs');
const { Activity } = require('@microsoft/agents-activity');

const activities = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const failures = [];
activities.forEach((activity, index) => {
  try {
    const parsed = Activity.fromObject(activity);
    if (!parsed.type) throw new Error('no type');
    for (const attachment of parsed.attachments || []) {
      if (attachment.contentType === 'application/vnd.microsoft.card.adaptive') {
        const size = Buffer.byteLength(JSON.stringify(attachment.content));
        if (size > 28 * 1024) throw new Error(`an Adaptive Card of ${size} bytes is over Teams' 28 KB`);
        if (attachment.content.type !== 'AdaptiveCard') throw new Error('the card is not an AdaptiveCard');
      }
    }
  } catch (error) {
    failures.push({ index, error: String(error && error.message) });
  }
});
process.stdout.write(JSON.stringify({ checked: activities.length, failures }));
process.exit(failures.length ? 1 : 0);
