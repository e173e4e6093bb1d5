/**
 * Who deserves a person's attention now, beyond every interested and meeting_request reply: a
 * question that shows active evaluation, a referral to someone with an active need. Never pushback
 * or explicitly low intent. Patterns run on normalized own words.
 */

// Buying questions: price, integration, trial, security review, SSO, rollout, a contract.
const EVALUATION =
  /\b(pric\w*|cost\w*|how much|quote|per (seat|user|month)|seats|tiers?|licen[cs]\w*|discount|integrat\w*|api\b|connect(or|s)? (to|with)|sync\w*|plug-?in|works? with|compatible|trial|pilot|poc|proof of concept|security|soc ?2|iso ?27001|gdpr|dpa\b|hosted|hosting|data (residency|location|stored)|sso|saml|okta|scim|onboarding|implementation|deploy\w*|roll ?out|contract|sign\b|procurement|migrat\w*)|\b(prix|tarif\w*|cout\w*|combien|devis|abonnement|licences?|integr\w*|s'interfac\w*|connecte\w*|api|essai|pilote|securite|rgpd|heberg\w*|sso|authentification|mise en place|deploie\w*|deploiement|contrat|signer|migration)\b/;

// An objection in question form, a doubt about the need: not a buying signal.
const PUSHBACK =
  /\bwhy (would|should) (we|i|anyone)\b|\bwhat makes you think\b|\b(isn't|is) (this|it) just\b|\bjust another\b|\bwhat does it do that\b|\b(already|currently) (have|use|pay)\b|\bpourquoi (changerions|devrions|paierions|payerions|aurions|irions)\b|\bpourquoi (est-ce que )?(nous|on|je) (devrions|changer|payer)\b|\balors que (nous|notre|on)\b|\bqu'est-ce qui vous fait (croire|penser)\b|\bje ne vois pas (l'interet|pourquoi)\b|\bsimple tableur\b/;

// Said outright: no purchase in view.
const LOW_INTENT =
  /\bjust curious\b|\bout of curiosity\b|\bnot (planning|looking) to (buy|change|switch)\b|\bno (plans|intention) to\b|\bpar (simple )?curiosite\b|\bsimple curiosite\b|\baucune intention\b|\bpas (de projet|l'intention)\b/;

// The person pointed to is looking for this now.
const ACTIVE_NEED =
  /\b(looking for|searching for|evaluating|shopping for|in the market|has a project|budget for this|(been |is |are )?asking for (something|a tool|this|exactly)|wants? (something|a tool) like this|need(s)? (something|a tool|a solution|this)|exactly (this|like this))\b|\b(cherche|recherche|a besoin|ont besoin|avons besoin|evalue|projet en cours|en train de (regarder|chercher|comparer))\b/;

/** A question that shows active evaluation and is neither an objection nor said to be idle. */
export const evaluatingQuestion = (norm: string) =>
  EVALUATION.test(norm) && !PUSHBACK.test(norm) && !LOW_INTENT.test(norm);

/** A referral to someone said to need this now. */
export const referralWithNeed = (norm: string) => ACTIVE_NEED.test(norm) && !LOW_INTENT.test(norm);
