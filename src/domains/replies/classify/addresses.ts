const EMAIL = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/gi;
// Mailboxes no person reads: never a contact to refer to.
const ROBOT = /^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|ne-?pas-?repondre|bounces?|notifications?)@/i;

/** The address in a From value such as `"Jane" <jane@acme.test>`, lower-cased. */
export function addressOf(from: string): string {
  return (from.match(EMAIL)?.at(-1) ?? from).trim().toLowerCase();
}

/** The first address in the reply's own words that is not the sender's nor a robot's, lower-cased. */
export function referralEmail(ownWords: string, from: string): string | null {
  const sender = addressOf(from);
  for (const m of ownWords.matchAll(EMAIL)) {
    const address = m[0].replace(/[.-]+$/, '').toLowerCase();
    if (address !== sender && !ROBOT.test(address)) return address;
  }
  return null;
}

/** Whether an address occurs in the text (a model's referral must come from the reply, not its imagination). */
export const mentions = (text: string, address: string) => text.toLowerCase().includes(address.toLowerCase());
