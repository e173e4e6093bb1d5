/**
 * Machine-generated mail: what the headers say, and what bounces, out-of-office notices, "no longer
 * with the company" notices and automatic acknowledgements say in English and French.
 * Patterns run on normalized text (normalize.ts).
 */
import type { ReplyToClassify } from './labels.js';
import { normalize } from './normalize.js';

export interface HeaderHints {
  /** A delivery status notification: DSN content type, a mailer-daemon/postmaster sender, a bounce subject. */
  dsn: string | null;
  /** Some other sign that no person wrote it: Auto-Submitted, X-Autoreply, Precedence, an auto-reply subject. */
  automatic: string | null;
}

const DAEMON = /(^|<|\s)(mailer-daemon|mailer_daemon|mail-daemon|postmaster)@/i;
const DAEMON_NAME = /^\s*"?(mail delivery (subsystem|system)|systeme de distribution du courrier)/;
const BOUNCE_SUBJECT =
  /^(delivery status notification|undeliver(able|ed)|mail delivery failed|returned mail|delivery failure|failure notice|message not delivered|warning: message delayed|non remis|non distribu|echec de (la )?(remise|distribution)|remise differee|notification d'etat de remise|retour de courrier|rapport de (non-)?remise|avis de retard)/;
const AUTO_SUBJECT =
  /^(automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|auto:|out of (the )?office|ooo\b|away:|absence\b|absent\b|reponse automatique|message automatique|accuse de reception)/;

/** Header, sender and subject hints, read before any model. */
export function headerHints(reply: ReplyToClassify): HeaderHints {
  const h = reply.headers;
  const type = `${reply.contentType ?? ''} ${h['content-type'] ?? ''}`.toLowerCase();
  const subject = normalize(reply.subject ?? '').trim();
  let dsn: string | null = null;
  if (/multipart\/report|message\/delivery-status/.test(type))
    dsn = 'a delivery status notification (DSN content type)';
  else if (h['x-failed-recipients']) dsn = 'a delivery failure (X-Failed-Recipients header)';
  else if (DAEMON.test(reply.from) || DAEMON_NAME.test(normalize(reply.from)))
    dsn = 'sent by a mail server (mailer-daemon/postmaster)';
  else if (BOUNCE_SUBJECT.test(subject)) dsn = 'a delivery failure subject';
  let automatic: string | null = null;
  const submitted = (h['auto-submitted'] ?? '').trim().toLowerCase();
  if (submitted && submitted !== 'no') automatic = `Auto-Submitted: ${submitted.split(/[;\s]/)[0]}`;
  else if (h['x-autoreply'] || h['x-autorespond'] || h['x-autoresponder']) automatic = 'an X-Autoreply header';
  else if (/\b(auto_reply|bulk|junk|list)\b/.test((h.precedence ?? '').toLowerCase()))
    automatic = `Precedence: ${h.precedence!.trim().toLowerCase()}`;
  else if (AUTO_SUBJECT.test(subject)) automatic = 'an automatic-reply subject';
  return { dsn, automatic };
}

// Each is one piece of evidence of a delivery status notification; two are needed without a header hint.
const BOUNCE: RegExp[] = [
  /delivery status notification/,
  /\b(could ?n[o']?t|cannot|can't|was ?n[o']?t|has ?n[o']?t (yet )?been|could not be|failed to be) (be )?deliver(ed)?\b/,
  /\bundeliver(able|ed)\b/,
  /\bdelivery (to the following recipients? )?(has )?(failed|failure|been delayed|delayed|is delayed|incomplete)/,
  /\bmessage (not|wasn't|was not) delivered\b|\bnot been delivered\b/,
  /\breturned mail\b|\bmail delivery (failed|subsystem|system|software)\b|\bmail system at host\b/,
  /\b(address|recipient|user|mailbox|account|domain) (was |is )?(not found|unknown|unavailable|does ?n[o']?t exist|disabled|inactive|full)|\bno such (user|recipient|address|domain)\b|\bquota exceeded\b|\bover quota\b/,
  /\b(will|shall) (be )?retr(y|ied)\b|\bretrying\b/,
  /\b(permanent|temporary|transient)( non-fatal)? (error|failure)s?\b/,
  /\b(final-recipient|diagnostic-code|reporting-mta|original-recipient)\s?:|\baction\s?: (failed|delayed)\b/,
  /\bstatus\s?: [245]\.\d|\b[45]\.\d{1,3}\.\d{1,3}\b|\b(550|551|552|553|554|421|450|451|452)\b/,
  /\bnon (remis|distribue|delivre|distribuable)\b|\brapport de non-remise\b/,
  /\bn'a pas (encore )?(pu )?(ete |etre )?(remis|distribue|delivre|achemine)/,
  /\b(remise|distribution|livraison|acheminement) (differee|retardee|a echoue|impossible)|\b(echec|retard) (de|d'|dans) (la )?(remise|distribution|livraison|l'envoi|l'acheminement)|\b(a ete|est) (retardee|differee)\b/,
  /\bretour de courrier\b|\bnotification d'etat de remise\b|\bsysteme de distribution\b|\bil n'a pas ete possible de remettre\b/,
  /\b(adresse|destinataire|utilisateur|boite)( e-?mail| aux lettres)? (est )?(introuvable|inconnue?|inexistante?|pleine|desactivee?)|\bn'existe pas\b|\bquota depasse\b|\bboite pleine\b|\butilisateur inconnu\b/,
  /\bnouvel(le)? (essai|tentative)\b|\breessaiera\b|\bcontinuera d'essayer\b/,
];

/** How many distinct pieces of DSN evidence the text holds (the whole text: bounces quote the original). */
export function bounceEvidence(norm: string): number {
  return BOUNCE.filter((re) => re.test(norm)).length;
}

// Temporary: the server will try again, or the mailbox may empty. Read before status codes because
// "552 5.2.2 mailbox full" is a 5xx that clears on its own.
const SOFT =
  /\b(boite|mailbox|inbox)\b[^.]{0,50}\b(pleine|full)\b|\bdelay(ed)?\b|\bretr(y|ying|ied)\b|\btemporar|\btransient\b|\bmailbox (is )?full\b|\bquota\b|\bboite( aux lettres)? pleine\b|\bdifferee\b|\bretardee\b|\bnouvel(le)? (essai|tentative)\b|\breessaiera\b|\bcontinuera d'essayer\b|\bnot been delivered yet\b|\bpas encore ete remis\b|\bwarning message only\b/;
const HARD =
  /\bnot found\b|\bdoes ?n[o']?t exist\b|\bno such\b|\bunknown\b|\bintrouvable\b|\binconnue?\b|\bn'existe pas\b|\bdesactivee?\b|\bdisabled\b|\brejected\b|\bblocked\b|\brefuse\b|\bpermanent/;

/** Permanent (hard) or temporary (soft) failure; a failure notice that says neither is hard. */
export function bounceKind(norm: string): 'hard' | 'soft' {
  if (SOFT.test(norm)) return 'soft';
  const code = /\bstatus\s?: ([245])\./.exec(norm) ?? /\b([45])\.\d{1,3}\.\d{1,3}\b/.exec(norm);
  if (code?.[1] === '4') return 'soft';
  if (code?.[1] === '5' || HARD.test(norm)) return 'hard';
  return /\b4[25]\d\b/.test(norm) ? 'soft' : 'hard';
}

// A temporary absence, as out-of-office notices word it.
const ABSENCE: RegExp[] = [
  /\bout of (the )?office\b|\bout-of-office\b|\booo\b/,
  /\b(away|absent) from (the |my )?(office|desk|e-?mail)/,
  /\b(limited|no|without|intermittent) access to (my )?(e-?mails?|inbox|internet)/,
  /\b(upon|on|after) my return\b/,
  /\b(currently|presently) (away|out|travell?ing|on (leave|vacation|holiday))\b/,
  /\bwon'?t be (reading|checking|answering|responding to) (my )?e-?mails?\b|\bne (lirai|consulterai) pas mes\b/,
  /\b(on|taking) (a |an )?(annual |parental |maternity |paternity |sick |medical |sabbatical |extended |family )?(leave|vacation|holidays?|sabbatical|pto)\b/,
  /\bout sick\b|\boff sick\b|\bsick leave\b/,
  /\b(i'?m|i am|i will be|i'll be) (out|away|off|travell?ing|attending)\b.{0,80}\b(until|till|through|returning|back)\b/,
  /\b(will be|i'?ll be) back (in the office|on|in|next)\b|\bback in the office\b/,
  /\bdelayed (response|reply)\b|\bexpect (a )?delay/,
  /\babsente?s?\b/,
  /\ben (conges?|vacances|deplacement|formation|seminaire|arret maladie|conge (maternite|paternite|parental|maladie|sabbatique))\b/,
  /\b(arret|conge) (maladie|maternite|paternite|parental)\b/,
  /\b(a|des|apres) mon retour\b|\bretour prevu\b|\bhors du bureau\b|\bindisponible jusqu/,
  /\bde retour (le|au bureau|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|a partir|des|demain|la semaine|en|\d)/,
  /\b(acces|connexion) (limite|restreint|intermittent)/,
  /\b(fermee?|fermeture) (pour (les fetes|conges|vacances)|annuelle|exceptionnelle|jusqu)/,
];

/** A temporary absence, or null. */
export function absence(norm: string): string | null {
  return ABSENCE.some((re) => re.test(norm)) ? 'a temporary absence notice' : null;
}

// Permanent departure: the person has left, retired or handed over; the mailbox is no longer read.
const DEPARTED: RegExp[] = [
  /\bno longer (with|at|works?|working|employed|part of|in (this|that) role|handles?|responsible|in charge)\b/,
  /\b(has|have|'ve) left\b[^.]{0,40}\b(company|organi[sz]ation|firm|business|group|team)\b/,
  /\b(has|have|'ve) left (the company|\w+ (as of|in|on|last|at the end))/,
  /\b(this|the) (mailbox|address|e-?mail address|account|inbox) is no longer (monitored|active|in use|valid|read)/,
  /\bmoved to (a )?(different|another|new) (team|company|role|position|department)\b/,
  /\b(retired|successor|took over|has taken over)\b/,
  /\bne (fait|fais|travaille|suis|est) plus (partie|chez|dans|en poste|au sein|parmi|a ce poste|en charge|responsable)/,
  /\bn'est plus (en poste|dans|chez|parmi|avec nous|joignable|en charge|responsable|au sein)/,
  /\b(a|ai|avons) quitte (l'entreprise|la societe|le groupe|l'agence|ses fonctions|mes fonctions|\w+ (en|depuis|le|fin))/,
  /\b(remplacante?|successeur|a repris (ses|le|les) (dossiers|poste))\b/,
  /\b(a|suis|est) (parti|partie )?(a|en) (la )?retraite\b|\bretraite depuis\b/,
  /\bcette (adresse|boite) (n'est plus|ne sera plus) (consultee|active|relevee|utilisee)/,
];

/** A notice that the person permanently left or no longer handles this, or null. */
export function departure(norm: string): string | null {
  return DEPARTED.some((re) => re.test(norm)) ? 'a notice that the person left or handed over' : null;
}

// Automatic acknowledgements. Strong ones count 2, weak ones 1; 2 make an auto_reply.
const ACK_STRONG: RegExp[] = [
  /\bautomat(ed|ic|ically generated) (response|reply|acknowledge?ment|message|confirmation|e-?mail|notification)\b|\bthis is an automat/,
  /\bauto-?(response|reply|responder|generated)\b|\b(generee?|envoyee?) automatiquement\b/,
  /\b(do not|don't|please do not) reply (to )?this\b/,
  /\b(we|we've|we have)( have)? (received|got|successfully received) your (e-?mail|email|message|request|inquiry|enquiry|application|ticket|note)/,
  /\byour (e-?mail|email|message|request|inquiry|enquiry|application|ticket)( \(#?\d+\))? (has been|was|is being|is) (received|logged|forwarded|delivered to|reviewed|recorded|created)/,
  /\bticket (number|#|no\b|id\b)|\bticket\b.{0,30}\b(created|opened|logged)\b|\(#\d{3,}\)|#\d{4,}/,
  /\b(unable|not able) to respond to (every|each|all)\b|\bthank you for (subscribing|your application|applying|your order)\b/,
  /\b(this|the) (inbox|mailbox) is (checked|monitored|not monitored|not read)/,
  /\b(reponse|message|accuse de reception|e-?mail|mail|courriel) automatique\b|\bceci est (un|une) (message|reponse|accuse)/,
  /\baccus(e|ons) (de )?reception\b/,
  /\bne pas (y )?repondre\b/,
  /\b(avons|ai) bien recu (votre|vos)\b|\bnous l'avons bien recu\b/,
  /\b(votre|vos) (message|demande|mail|e-?mail|candidature|ticket|courriel)s? (a|ont) (bien )?(ete )?(bien )?(recue?s?|enregistree?s?|transmise?s?|creee?s?)\b/,
  /\bticket (n\b|no\b|numero|n°)|\b(n'est|est) relevee? /,
  /\b(merci|je vous remercie|nous vous remercions) (pour|de) votre candidature\b/,
];
const ACK_WEAK: RegExp[] = [
  /\b(respond|reply|answer|get back to you|be in touch|contact you)( to you)? (within|in) (\d+|one|two|a few|the next) (business |working )?(hours?|days?)\b/,
  /\b(business|office|opening) hours\b|\bnext (business|working) day\b/,
  /\bwill (get back to you|respond|reply|be in touch|contact you) (shortly|soon|as soon as possible)\b|\bsomeone (from|on) (our|the) .{0,30}\bwill (contact|get back|reach|respond)/,
  /\b(thank(s| you)|we appreciate you) (for )?(contacting|reaching out|getting in touch|your (e-?mail|message|inquiry|enquiry|request))\b/,
  /\b(a |one of our )?(team member|member of (our|the) team|representatives?|agents?|advisors?) will (review|respond|reply|get back|contact|be in touch)\b/,
  /\b(un conseiller|un membre de (notre|l') ?equipe|notre equipe) (vous )?(repondra|recontactera|contactera|reviendra)\b|\b(avons|a) bien (pris en compte|enregistre) votre\b/,
  /\b(nous vous repondrons|nous reviendrons vers vous|reviendra vers vous|vous recontactera|vous contactera|nous vous recontacterons|sera traitee?|sera etudiee?)\b/,
  /\bdans les (plus brefs|meilleurs) delais\b|\bsous (\d+) ?(h|heures)\b/,
  /\b(heures|horaires) d'ouverture\b|\bouverts? du (lundi|mardi)\b/,
  /\bmerci (pour|de) votre (message|e-?mail|mail|demande)\b|\bmerci de nous avoir contacte/,
];

/** An automatic acknowledgement ("we received your message", a ticket number), or null. */
export function acknowledgement(norm: string): string | null {
  const score = 2 * ACK_STRONG.filter((re) => re.test(norm)).length + ACK_WEAK.filter((re) => re.test(norm)).length;
  return score >= 2 ? 'an automatic acknowledgement' : null;
}
