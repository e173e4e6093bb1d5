/**
 * What a person's reply asks for, English and French: one table of patterns per intent, each with
 * why it is there. Patterns run on normalized own words (normalize.ts, strip.ts). Negated forms are
 * matched first and taken out of the text, so "not interested" never counts as interest and "I
 * didn't unsubscribe" never counts as a request.
 */
import { sentences } from './normalize.js';

export type HumanIntent =
  | 'unsubscribe'
  | 'meeting_request'
  | 'question'
  | 'not_now'
  | 'interested'
  | 'not_interested'
  | 'referral';

/** Which intents the reply shows, each with a short description of the cue (never the reply's words). */
export interface HumanSignals {
  found: Partial<Record<HumanIntent, string>>;
  /** Only weak cues of interest ("sounds good", "intéressant"): they lose to any other intent. */
  weakInterest: boolean;
  /** Only a weak refusal ("not for me", "not now" without a date): a referral beside it wins. */
  weakRefusal: boolean;
  /** Instructions addressed to a classifier were found and ignored. */
  injection: boolean;
  /** A deferral ("not now", "get back to me") and a stated time or condition, each alone: features for the model. */
  deferral: boolean;
  later: boolean;
}

type Table = readonly (readonly [RegExp, string])[];

const test = (table: Table, text: string) => table.find(([re]) => re.test(text))?.[1] ?? null;
const strip = (table: readonly RegExp[], text: string) =>
  table.reduce((t, re) => t.replace(new RegExp(re.source, 'g'), ' '), text);

// Instructions to a model or a classifier. The sentences holding them are not evidence of any intent
// (reply text is data, never instructions); an opt-out inside them is still honoured.
const INJECTION =
  /\b(ignore|disregard|forget) (all |any )?(the |your )?(previous|prior|above|earlier|preceding) (instructions|prompts?|rules)|\b(classify|label|mark|tag|categori[sz]e|flag|treat|set) (this|it|the reply|this (e-?mail|email|message|lead|reply)|me) (as|to)\b|\bhot ?= ?true\b|^(system|assistant|ai|model|classifier)\s?[:,]|\b(ignorez|oubliez) (toutes )?(les|vos) (instructions|consignes|regles)|\b(classez|classe|marquez|etiquetez|considerez|traitez) (ce|cet|le) (message|mail|e-?mail|lead|prospect)\b/;

// Opt-out requests. "stop" alone only as a whole message or its own sentence: "stop by", "stop the
// presses", "non-stop", "stop losing leads" are other senses.
const UNSUBSCRIBE: Table = [
  [/\bunsubscrib|\bopt(ed|ing)?[- ]?out\b|\bdesinscri|\bdesabonn|\bdesinscription\b/, 'asks to unsubscribe'],
  [
    /\b(remove|drop|delete|scrub|purge|exclude) (me|us|this (e-?mail|address|contact)|my (e-?mail|address|name|details|data|contact))\b|\b(drop|take) (me|us) (out of|from)\b|\bnot (be )?on (any of )?your (lists?|mailing|database)\b|\b(off|out of) (all )?(your|the) (lists?|database|crm|sequences?)\b|\b(all|any) future (communications?|e-?mails|emails|mailings|messages|outreach)\b|\bremove .{0,30}\bfrom (your|the|this) (list|mailing|database|distribution|cadence|sequence|crm)/,
    'asks to be removed from the list',
  ],
  [
    /\btake (me|us|my (name|address|e-?mail)) off\b|\boff (your|the|this) (mailing |email )?list\b/,
    'asks to be taken off the list',
  ],
  [
    /\b(stop|quit|cease) (e-?mailing|emailing|sending|contacting|messaging|writing|spamming|bugging|pestering|following up|reaching out)\b|\bstop (the|these|your) (e-?mails|emails|messages|follow-?ups)\b/,
    'asks to stop the emails',
  ],
  [
    /\b(do not|don't|dont|never|please don't) (e-?mail|contact|write( to)?|message|reach out to|call) (me|us)\b/,
    'asks not to be contacted',
  ],
  [
    /\bno (more|further) (e-?mails|emails|messages|contact|follow-?ups)\b|\b(don't|do not|no longer) (want|wish|care) to (receive|get|hear)\b|\b(don't|do not) want (any )?(more )?(e-?mails|emails|messages)\b|\b(rather|prefer) not (to )?(get|receive|hear)\b|\b(don't|do not) want to hear from (you|your)\b|\b(don't|do not) send (me|us) (anything|any more|more|emails)\b|\bno longer wish to be contacted\b/,
    'does not want more emails',
  ],
  [
    /\b(delete|erase|forget|remove) (all )?(my|our) (personal )?(data|details|address|e-?mail|information|contact)|\bgdpr\b.{0,60}\b(delete|erase|remove)/,
    'asks for their data to be deleted',
  ],
  [
    /\bleave (me|us) alone\b|\b(report|reported|reporting|mark|marking|flag) (you|this|it)? ?(as|for) spam\b|\bthis is spam\b|\bstop spamming\b/,
    'objects to the emails as spam',
  ],
  [
    /\b(retirez|supprimez|enlevez|effacez|rayez|otez)[- ](moi|nous)\b|\b(me|nous) (retirer|desinscrire|supprimer|enlever|rayer) (de|des)\b|\b(retirer|supprimer|enlever|effacer|rayer) (mon adresse|mes (coordonnees|donnees|informations)|mon (e-?mail|mail|nom|contact))/,
    'asks to be removed from the list',
  ],
  [
    /\bne (plus|pas|jamais) (me |nous |m')?(recevoir|contacter|solliciter|ecrire|envoyer|relancer|importuner|deranger)|\bne (me|m'|nous) ?(contactez|ecrivez|sollicitez|envoyez|relancez|ecrire) plus\b/,
    'asks not to be contacted again',
  ],
  [
    /\b(arretez|cessez|arreter|cesser|stoppez) (de |d')?(me |m'|nous )?(ecrire|contacter|envoyer|solliciter|relancer|spammer|harceler)|\b(arretez|stoppez|cessez) (vos|ces|les|de m'envoyer) (mails|e-?mails|messages|relances|envois|sollicitations)/,
    'asks to stop the emails',
  ],
  [
    /\bje ne (veux|souhaite|desire) (plus|pas) (recevoir|etre (re)?(contacte|sollicite|relance)|entendre parler|rien recevoir)|\bplus (jamais )?entendre parler\b|\bn'envoyez plus\b|\b(cesser|arreter|stopper|cessez|arretez|stoppez) (tout|tous) (envoi|envois|mail|mails|e-?mails?|messages?|sollicitations?|communications?|contact)\b|\bm'oublier\b|\b(plus|pas) (de |d')(mails|e-?mails|messages|relances|sollicitations)( svp| merci| s'il vous plait|\s*[.!,]|$)/,
    'does not want more emails',
  ],
  [
    /\brgpd\b.{0,80}\b(suppr|effac|retir)|\bdroit (a l'oubli|d'opposition)\b|\blaissez[- ](moi|nous) tranquilles?\b|\binutile de (me )?relancer\b/,
    'asks for their data to be deleted or to be left alone',
  ],
  [
    /(^|[.!?\n]\s*)(stop|arret|arretez)( (please|pls|merci|svp|stp|thanks|thank you|now|immediately|tout de suite|s'il vous plait))?\s*([.!]|$)/,
    'says stop',
  ], // Concepts rather than phrases: a one-word command, a verb of stopping or removal with an object
  // that is our mail or their address, a wish not to be contacted, in any order people write them.
  [
    /^\W*(please |pls |kindly )?(unsub|unsubscribe|remove|remove me|opt out|opt me out|take me off|desinscription|desabonnement|retirez-moi|supprimez-moi)\W*$|\bunsub\b|\bopt (me|us) out\b/,
    'asks to unsubscribe',
  ],
  [
    /(^|[.!?\n]\s*)(please |pls |kindly |just |so )?(stop|stop it|stop this|stop now|stop already)( please| pls| now)?\s*([.!]|$)/,
    'says stop',
  ],
  [
    /\b(cease|stop|end|halt|discontinue) (all |any )?(further |future )?(communications?|contact|correspondence|e-?mails?|emails|messages|mailings|outreach|follow-?ups|sequences?|campaigns?)\b/,
    'asks to stop the emails',
  ],
  [
    /\b(not|never) (e-?mail|email|contact|write to|message) (me|us) (again|anymore|any more)\b|\b(not|never) (being |be |to be )?(contacted|e-?mailed|emailed|messaged|solicited|written to|pinged)( by you)?( again| anymore| any more| further| in (the )?future)\b|\b(appreciate|prefer|rather|like) (it if you did )?not (being |to be )?(contacted|e-?mailed|emailed)\b/,
    'asks not to be contacted again',
  ],
  [
    /\b(left|kept|leave|keep|put|taken|removed|deleted|erased) (me |us |my (e-?mail|email|address|details) )?(off|out of|from) (your |any |all |the |these |future )*(lists?|campaigns?|sequences?|mailings?|e-?mails?|emails|outreach|database|records|crm|system)\b/,
    'asks to be removed from the list',
  ],
  [
    /\b(retirez|supprimez|effacez|enlevez|otez|rayez|sortez)[- ]?(moi|nous)?\b.{0,30}\b(mon|mes|ma|de (votre|vos|la)) ?(adresse|e-?mail|mail|coordonnees|donnees|contact|nom|liste|listes|base|fichiers?|sequence|envois|crm)\b/,
    'asks to be removed from the list',
  ],
  [
    /\b(cesser|cessez|arreter|arretez|stopper|stoppez|suspendre|suspendez) (toute|toutes|tout|tous|les|vos|ces) (communications?|sollicitations?|envois?|relances?|mails|e-?mails?|messages?|contacts?|prospection)\b/,
    'asks to stop the emails',
  ],
  [
    /\b(ne )?(m'|me |nous )?(envoyez|ecrivez|contactez|sollicitez|relancez)[- ]?(moi |nous )?(plus|pas) (rien|de (mails?|messages?|relances?))\b|\b(m'|me |nous )(envoyez|ecrivez|contactez|sollicitez|relancez) plus\b|\benvoyez plus\b|\b(je |j'|nous )?(ne )?(veux|voulons|souhaite|souhaitons|desire|desirons) (plus|pas|ne plus) (recevoir|etre (re)?(contacte|sollicite|relance)e?s?|de (vos )?(mails|messages|relances|sollicitations))\b/,
    'does not want more emails',
  ],
];
const UNSUBSCRIBE_NEGATED: readonly RegExp[] = [
  // The word as a noun or about other people: "an unsubscribe link", "can recipients unsubscribe?".
  /\b(an|the|one-click|one click|easy) unsubscrib\w*|\bunsubscrib\w* (link|button|option|feature|rate|page|header|process|request from (your|their) (users|customers|contacts))s?\b|\b(can|do|does|will|could) (recipients|users|customers|contacts|people|prospects|subscribers|they|our (users|customers|clients|contacts)) (easily )?unsubscrib\w*|\blien de desinscription\b|\b(vos|les|nos) (destinataires|contacts|clients|abonnes) (peuvent|pourront)[- ]ils? se desinscrire\b/,
  /\b(didn't|did not|didnt|don't|do not|dont|won't|will not|wont|no need to|not going to|never|haven't|have not|almost|nearly) (unsubscrib\w*|opt(ed)? out|remove (me|us)|take (me|us) off)/,
  /\b(instead of|rather than|before|without) (unsubscribing|opting out)\b/,
  // A footer's instructions ("To unsubscribe from our newsletter, click here") ask nothing of us.
  /\b(to|pour) (unsubscribe|opt out|vous desinscrire|vous desabonner|se desinscrire|se desabonner)\b.{0,60}\b(click|cliquez|reply|repondez|here|ici|link|lien|visit|rendez-vous)\b/,
  /\bne (me|nous) (desinscrivez|desabonnez|retirez|supprimez) pas\b|\b(ne )?(me |m')?suis pas (desinscrit|desabonne)e?\b|\bpas (besoin|la peine) de (me )?(desinscrire|desabonner|retirer)\b|\bsans (me )?(desinscrire|desabonner)\b/,
];

// A wish to talk: a call, a meeting, a demo, a time, a calendar link.
const MEETING: Table = [
  // Concepts: a meeting noun and a when in the same sentence, or an availability question.
  [
    /\b(calls?|meeting|demo|chat|walkthrough|screen ?share|session|presentation|coffee|zoom|teams|video ?call|conversation|invite|appel|reunion|rendez-vous|rdv|demonstration|echange|visio|point|creneaux?|cafe|telephone|invitation)\b[^.?!\n]{0,60}\b(monday|tuesday|wednesday|thursday|friday|tomorrow|today|this week|next week|morning|afternoon|the \d{1,2}(st|nd|rd|th)?\b|lundi|mardi|mercredi|jeudi|vendredi|demain|cette semaine|semaine prochaine|matin|apres-midi|debut de semaine|le \d{1,2}\b)|\b(monday|tuesday|wednesday|thursday|friday|tomorrow|next week|lundi|mardi|mercredi|jeudi|vendredi|demain|semaine prochaine)\b[^.?!\n]{0,40}\b(call|meeting|demo|chat|walkthrough|appel|reunion|rdv|rendez-vous|demo|echange|visio|point|call)\b/,
    'proposes a meeting and a time',
  ],
  [
    /\bwhat (days?|times?|dates?|slots?) (work|suit|are good)|\bwhen (are|would|could) you (be )?(free|available|around)|\bquand (etes|seriez|serez)[- ]vous (disponibles?|dispo|libres?)|\b(prevoir|proposer|proposez|reserver|reservez|fixer|fixons|faire|faisons) (un |une |des |quelques )?(reunion|creneaux?|appel|rendez-vous|rdv|point|echange|visio|demo|demonstration)\b|\b(present|demo|show) (this|it) to (our|my|the) (team|leadership|board|ceo|cfo|manager)/,
    'asks for availability or a meeting',
  ],
  [
    /\b(schedule|set up|setup|book|arrange|organi[sz]e|hop on|jump on|get on|grab|find) (a |an |some )?(quick |short |brief |\d+[- ]?min(ute)?s? |time for a )?(call|meeting|demo|chat|time|slot|zoom|meet|teams|video ?call|walkthrough)\b/,
    'asks to schedule a call or meeting',
  ],
  [
    /\blet'?s (talk|chat|meet|connect|speak|discuss|set|book|schedule|find a time|hop|jump|do (a|it)|get on)\b/,
    'proposes to talk',
  ],
  [
    /\b(can|could|shall|should) we (talk|chat|meet|speak|connect|discuss|schedule|set up|book|hop|jump|get on|do a|have a call)\b/,
    'proposes to talk',
  ],
  [
    /\b(are|would) you (be )?(free|available|around)\b|\b(what|when) (is|are|does|do) your (availability|calendar|schedule)|\byour availabilit/,
    'asks for availability',
  ],
  [
    /\b(calendar|meeting|calendly|teams|zoom) (invite|invitation|link)\b|\bcalendly\b|\bcal\.com\b|\b(send|shoot) (me|us|over) (an? )?(calendar )?invite\b/,
    'asks for a calendar invite',
  ],
  [
    /\bhow about (a call|a meeting|a demo|monday|tuesday|wednesday|thursday|friday|tomorrow|next week|\d)|\b(works|work) for me\b|\bat \d{1,2}(:\d\d)? ?(am|pm)\b|\b\d{1,2}(:\d\d)? ?(am|pm)\b/,
    'proposes a time',
  ],
  [
    /\b(call|ring|phone) me\b|\bgive me a (call|ring)\b|\bstop by\b|\b(see|meet) you (at|in|on)\b|\bbooth\b/,
    'proposes to meet or call',
  ],
  [
    /\b(happy|glad|keen|open) to (chat|talk|meet|jump on|hop on|have a call|set up|do a call)\b|\b(i|we) can do (a |an )?(\w+ ){0,3}(call|meeting|demo|chat)\b|\b(intro|discovery|quick|short) (call|meeting|chat)\b|\bsend (me |us |over )?(a (couple|few) (of )?|some )?(times|slots)\b/,
    'agrees to talk',
  ],
  [
    /\b(i'?d|we'?d|would) (like|love|be happy) (to (see|get|have|book|schedule|set up|arrange) )?(a |an )?(demo|call|meeting|walkthrough|presentation)\b|\b(show|walk) (me|us) (a demo|through)\b|\b(do|give) (us |me )?a demo\b|\bdemo for (my|our) team\b|\bsee it in action\b/,
    'asks for a demo',
  ],
  [
    /\b(caler|fixer|planifier|organiser|prendre|programmer|booker|bloquer|proposer) (un |une |des )?(rendez-vous|rdv|appel|call|echange|reunion|visio|creneaux?|demo|demonstration|point|entretien)\b/,
    'asks to schedule a meeting',
  ],
  [
    /\b(prenons|fixons|calons|organisons|planifions|programmons|bloquons) (un |une )?(rendez-vous|rdv|appel|echange|reunion|visio|creneau|demo|point|date)\b|\brendez-vous\b|\brdv\b/,
    'asks to schedule a meeting',
  ],
  [
    /\b(vos|tes) disponibilites\b|\b(suis|serai|sommes|serons) (dispo|disponibles?) (le |lundi|mardi|mercredi|jeudi|vendredi|demain|cette|la semaine|a \d|\d|pour)/,
    'gives or asks availability',
  ],
  [
    /\b(appelez|contactez|telephonez|rappelez|appele)[- ]moi\b|\b(on peut|pouvons-nous|pourrions-nous|peut-on|on pourrait|pourriez-vous|pouvez-vous) (se voir|s'appeler|echanger|se parler|en parler|en discuter|se rencontrer|caler|fixer|organiser|nous presenter|me presenter|faire une demo|planifier)/,
    'proposes to talk',
  ],
  [
    /\b(echange|entretien|appel) (telephonique|en visio)\b|\binvitation (pour|teams|zoom|calendrier|outlook)\b|\benvoyez[- ]moi une invitation\b|\bvisio\b|\bse voir\b|\bau salon\b|\bsur le stand\b|\b(passez|venez) (nous |me )?voir\b|\b(m'appeler|me telephoner|me rappeler)\b|\b(d'accord|ok|partant|partante) pour (en parler|un appel|un echange|se voir|un rdv|un rendez-vous)\b|\bon en (discutera|parlera|reparle de vive voix)\b/,
    'proposes a call or meeting',
  ],
  [
    /\b(une |la )?(demo|demonstration)\b.{0,40}\b(possible|convient|dispo)|\bje veux bien une (demo|demonstration)\b|\b(presenter|montrer) (la|votre|l') ?(solution|outil)\b|\b\d{1,2} ?h( ?\d\d)?\b|\b(ca|cela) vous (convient|va)\b/,
    'proposes a demo or a time',
  ],
];

// Interrogatives that make a question even without "?".
const QUESTION_START =
  /^(how|what|why|who|where|when|which|could you|can you|would you|do you|does it|does your|is there|are there|is it|est-ce que|est-ce qu'|pourriez-vous|pouvez-vous|auriez-vous|avez-vous|quel|quelle|quels|quelles|combien|comment|pourquoi|ou (sont|est)|quand)\b/;
// Rhetorical tags and one-word openers: "Honestly?", "Seriously?", "Vraiment ?".
const RHETORICAL =
  /^(honestly|seriously|really|right|no|yes|franchement|serieusement|vraiment|non|oui|hein|sarcasm|ok)\s*\?$/;

// Deferral: not now, or come back later. Alone it is a refusal; with a time or a condition it is not_now.
const DEFERRAL: Table = [
  [
    /\bnot (right )?now\b|\bnot (at the moment|at this time|currently|yet|this (quarter|year|month|week|time))\b|\bnot before\b/,
    'defers',
  ],
  [
    /\b(bad|not the right|not a good|wrong) (time|timing|moment)\b|\btiming (isn't|is not|isnt) (great|right|good|ideal)\b|\btoo (early|soon)\b/,
    'says the timing is wrong',
  ],
  [
    /\bnot (a|our) (top )?priority\b|\b(swamped|busy|slammed|underwater|mid-migration|in the middle of)\b/,
    'is busy now',
  ],
  [
    /\b(ask|ping|email|contact|call|try|write to|reach out to|get back to|circle back with|check back with|check in with|follow up with|touch base with) (me|us)( again)?\b|\b(reach|circle|check|follow|touch|come|get) (out|back|up|base|in) (again|later|then|after|in|next|once|when|on)\b|\b(revisit|reconnect|reconsider)\b|\bagain in\b|\bcheck back\b|\bfollow up (after|in|next|once|when)\b|\b(reach|circle|check|get|come) back( out)?\b|\b(freeze|on hold|paused|frozen)\b|\ben pause\b|\bgel des\b/,
    'asks to be contacted later',
  ],
  [
    /\b(happy|glad|open) to (look|revisit|talk|chat) (at (this|it) )?(then|again|later|after|once|when)|\bonce (she|he|they|we|it)('?s|'?re| is| are)?\b.{0,40}\bhappy to\b/,
    'will look later',
  ],
  [
    /\bpas (pour le moment|maintenant|tout de suite|en ce moment|cette annee|ce trimestre|avant|pour l'instant)\b|\b(pas|plus) le (bon )?moment\b|\btrop tot\b|\bplus tard\b/,
    'defers',
  ],
  [
    /\b(recontactez|relancez|revenez|rappelez|reecrivez|ecrivez)[- ](moi|nous|vers)\b|\b(me |nous )?(recontacter|relancer|revenir vers)\b|\b(on |nous )?(en )?(reparle|reparlerons|verrons|rediscuterons|reviendrons)\b|\bje (vous )?(recontacte|reviendrai|reviens) vers\b|\bl'ordre du jour\b|\bsous l'eau\b|\bdebordes?\b/,
    'asks to be contacted later',
  ],
];
// A stated time or condition for later. Dates themselves are found by dates.ts; these are the words.
const LATER: Table = [
  [
    /\b(january|february|march|april|may|june|july|august|september|october|november|december|janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre)\b/,
    'a month',
  ],
  [/\b(q[1-4]|t[1-4])\b|\b(quarter|trimestre)\b/, 'a quarter'],
  [
    /\bnext (week|month|quarter|year|spring|summer|fall|autumn|winter)\b|\b(in|within|dans) (\d+|a few|a couple of|one|two|three|six|quelques|un|une|deux|trois|six) (weeks?|months?|years?|semaines?|mois|ans|annees?)\b/,
    'a later period',
  ],
  [
    /\bafter (the )?(summer|holidays|new year|christmas|break|launch|merger|migration|reorg|audit|renewal|budget|quarter|year)\b|\b(end|beginning|start|early|late|mid)[- ](of )?(the )?(year|month|quarter|spring|summer)\b|\b(on|by) (monday|tuesday|wednesday|thursday|friday|the \d|\w+ \d)|\b(the )?new year\b|\b(till|until) then\b/,
    'a later period',
  ],
  [
    /\b(once|when|after|as soon as|until) (our|the|we|we'?ve|we'?re|my|she|he|they|it|i'?m|i have|i've|this)\b/,
    'a condition',
  ],
  [
    /\b(l'annee|le mois|la semaine|le trimestre|l'an) (prochaine?|suivante?)\b|\b(a la |la )?rentree\b|\b(debut|fin|mi)[- ](d'annee|de l'annee|du mois|janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre)\b|\bapres (l'ete|les fetes|les vacances)\b/,
    'a later period',
  ],
  [
    /\b(une fois (que|qu')?|quand|lorsque|des que|des qu'|apres que|avant que|jusqu'a ce que)\b|\ba ce moment-la\b/,
    'a condition',
  ],
];

// Interest. Strong cues decide; weak ones ("sounds good", "intéressant") only when nothing else does.
const INTERESTED: Table = [
  [
    /\binterested\b|\binteress(e|es|ee|ees)\b|\b(m'|nous |me )interess(e|ent|erait|eraient)\b|\bpourrait (nous |m')interesser\b/,
    'says they are interested',
  ],
  [
    /\btell me more\b|\b(learn|hear|know|find out|see) more\b|\bkeen to (learn|hear|know|see|try)\b|\bcount me in\b|\bsign (me|us) up\b|\bi'?m in([.!,]|$)|\bopen to hearing\b|\bhappy to hear more\b/,
    'asks to hear more',
  ],
  [
    /\b(send|share|forward|email) (me |us |over )?(some |more |the |a |your |any )?(info|information|details|docs|documentation|deck|brochure|one-pager|case stud\w*|materials?|overview|slides|examples)\b|\bshare more\b/,
    'asks for more information',
  ],
  [
    /\bexactly what (we|i|our \w+|my \w+) (need|needed|are looking for|have been looking for|want)\b|\b(we'?d|i'?d|would) (love|like) to (try|test|learn|see|know|hear|explore|give it a)\b|\bgreat timing\b|\bstruggling with (exactly )?this\b|\bthis (might|could|may) help\b|\b(could|might|may|would) be (really |very )?(useful|helpful|valuable|relevant|a (good )?fit)\b/,
    'sees a fit',
  ],
  [
    /\bje veux bien (plus|davantage|recevoir|en savoir|voir|decouvrir|tester|essayer|une|un|votre|vos|la|le|les)\b|\b(would|'d) (like|love) to (receive|get) (more|the|a|some)\b|\b(en savoir|en apprendre) (plus|davantage)\b|\bdites[- ]m'en plus\b|\b(je suis |suis )?(preneur|partant)\b|\bexactement ce que (nous|je|on) (cherch|recherch|voul)|\b(ca|cela) tombe bien\b|\bcurieux de\b|\bpourrait nous (aider|servir|etre utile)\b/,
    'asks to hear more',
  ],
  [
    /\b(envoyez|transmettez|partagez|faites[- ]moi parvenir|m'envoyer|nous envoyer)[- ]?(moi|nous)? ?(une |la |votre |vos |des |plus d'|quelques |de la )?(doc|documentation|plaquette|brochure|presentation|offre|infos?|informations|details|exemples|cas clients|references|fiche)\b/,
    'asks for more information',
  ],
];
const INTERESTED_WEAK: Table = [
  [
    /\b(sounds|looks|seems) (great|good|interesting|promising|useful|cool|nice)\b|\binteresting\b|\b(avec plaisir|volontiers|pourquoi pas|bonne idee)\b|\b(ca a l'air|semble|c'est) (tres |vraiment )?(interessant|bien|top|prometteur|genial|super)\b|\binteressant\b|^(yes|sure|absolutely|definitely|oui|d'accord|tout a fait)\b|\bspot on\b|\bme parle\b|\bresonates\b|\bpertinent\b|\brelevant (for|to) us\b/,
    'sounds positive',
  ],
];
// Interest that asks for something: such a sentence is a request, not a question.
const INTEREST_REQUEST: Table = [INTERESTED[1]!, INTERESTED[2]!, INTERESTED[4]!, INTERESTED[5]!];
// Refusals, matched (and taken out) before interest: "not interested" contains "interested".
const NOT_INTERESTED: Table = [
  [
    /\bnot (really |very |at all |currently |that |too |even )?interest(ed|ing)\b|\bno interest\b|\buninterested\b/,
    'says they are not interested',
  ],
  [
    /\bno,? (thanks|thank you|merci)\b|\bnon,? merci\b|\b(hard|firm) pass\b|\b(i'?ll|we'?ll|i will|we will|going to|have to|must) pass\b|\bpass on this\b|\b(still|that's a|it's a) no\b|^no[.!]?$/,
    'declines',
  ],
  [/\b(all|we're|we are|i'm|i am) (set|good|covered|sorted)\b|\ball set\b/, 'politely declines (already covered)'],
  [
    /\b(not|isn't|is not|wouldn't be|won't be) (a |the )?(good |right |great )?(fit|match)\b|\bnot for us\b|\bwrong fit\b|\bnot relevant\b|\bdoesn't apply\b/,
    'says it is not a fit',
  ],
  [
    /\bno need\b|\b(don't|do not|doesn't|does not) need\b|\bno (use|budget|plans?|appetite) for\b|\bnot something we need\b/,
    'has no need',
  ],
  [
    /\b(already|currently) (use|using|have|work with|working with|signed|partnered|invested|pay for)\b|\b(happy|satisfied) with (our|what we|the current|it|them)\b|\bbuilt (something|our own|it|one)( similar)? in-?house\b|\bin-?house\b/,
    'already has a solution',
  ],
  [
    /\b(not|n't) (something|anything) (we|i)('d| would)? (use|need|buy|want)\b|\bpas preneu(r|rs|se|ses)\b|\b(stick|sticking|stay|staying) with (our|what we|the current|them|it)\b|\bnot (looking|in the market) (for|to)\b|\b(nope|nah)\b|^(lol |haha )?(no|non|pass|no way)[.!]*$|\bno thanks?\b|\bnot convinced\b|\bnot gonna happen\b/,
    'declines',
  ],
  [
    /\b(don't|do not) bother\b|\bnot (something|a priority) (we|for us)\b|\b(declin(e|ing)|won't be moving forward|will not be moving forward|not (moving|going) forward)\b/,
    'declines',
  ],
  [
    /\bpas (vraiment |du tout |tres |trop |tellement )?interess|\b(ne|n') ?(nous |m'|me |vous )?interess(e|ent) (pas|plus|guere|nullement)\b|\bne m'interesse pas\b/,
    'says they are not interested',
  ],
  [
    /\b(deja|bien) equipes?\b|\b(avons|ai|a) deja (un|une|des|notre|nos|ce|le|la|l')\b|\bentiere satisfaction\b|\bsatisfaits? (de|avec)\b|\ben interne\b/,
    'already has a solution',
  ],
  [
    /\b(pas|plus|aucun) (de |d')?besoin\b|\bn'(avons|ai) (pas|aucun) (de |d')?besoin\b|\b(ne|n') ?(correspond|convient|repond) pas\b|\bpas pour nous\b|\bpas une priorite\b|\bn'est pas une priorite\b/,
    'has no need',
  ],
  [
    /\b(je|nous) (m'en|nous en|en) passer(ai|ons)\b|\b(passe|passons) (notre|mon) tour\b|\bsans facon\b|\bje decline\b|\bnous declinons\b|^non[.!]?$|\bc'est non\b|\binutile d'insister\b|\b(aucun|sans) interet\b|\bne (donnerons|donnerai) pas suite\b|\bpas convaincue?s?\b|\b(ca|cela) ira\b|\bce qu'il (nous )?faut\b/,
    'declines',
  ],
];
// Refusals that say little: they lose to a referral beside them ("not for me, ask Marie").
const NOT_INTERESTED_WEAK: Table = [
  [/\bnot for me\b|\bisn't (really )?for me\b|\bpas pour moi\b|\bn'est pas pour moi\b/, 'says it is not for them'],
];
// Sarcasm: praise that is a refusal ("Oh great, another AI tool", "Génial, encore un mail de prospection").
const SARCASM =
  /\b(oh )?(great|wow|wonderful|fantastic|awesome|super|genial|bravo|formidable|magnifique|parfait),? (just )?(another|yet another|a (\w+ )?(fifth|fourth|third|sixth|\d+(th|rd))\b|encore (un|une|des)\b|un (\w+ )?(autre|enieme|nouveau)\b|une (\w+ )?(autre|enieme|nouvelle)\b)|\b(exactly|just) what (i|we|my \w+) (needed|need|wanted)\b|\b(very|so|how) (impressive|original|creative)\b|\bmerci du cadeau\b|\b(tres|vraiment) original\b|\byeah,? right\b|\bcomme si\b/;

// Pointing to someone else: not the right person, talk to X, I forwarded it, cc'ing.
const REFERRAL: Table = [
  [
    /\b(not|isn't|wrong) (the )?(right|best|correct|appropriate) (person|contact|one|people|team)\b|\bwrong person\b|\bnot my (area|department|call|decision|remit|responsibility|role|job|domain|field|team)\b/,
    'says they are not the right person',
  ],
  [
    /\bnot me\b|\bpas moi\b|\byou'?d (want|need) (to (talk|speak) to )?[a-z]+|\bi'?m (just|only) (the|a|an)\b|\bvoir avec (mon|ma|mes|notre|nos|le|la|m\.|mme)\b|\ben copie\b|\b(isn't|not|is not) (something|a topic) (i|that i) (handle|own|manage|cover|deal with)\b|\bi'?m (in|on) (finance|hr|legal|accounting|it|the \w+ team)\b/,
    'says it is not their area',
  ],
  [
    /\b(talk|speak|reach out|write|get in touch|contact|reach|ask|try|email) (to |with )?(my|our|the) (colleague|boss|manager|team|head|director|cto|ceo|cfo|coo|vp|lead|it|marketing|sales|procurement|purchasing|partner|successor|replacement|assistant|\w+ (lead|manager|director|team))\b/,
    'points to a colleague',
  ],
  [
    /\b(you (want|need|should|might want|'ll want) to|better to|best to|please|maybe|try) (talk|speak|reach|contact|write|email|ask|try)\b|\btry \S+@\S+/,
    'points to another contact',
  ],
  // A directive verb and an address: "talk to marie@acme.test", "écrivez à paul@x.fr".
  [
    /(?<!vous )\b(talk|speak|reach out|write|contact|email|ask|try|reach|loop in|cc|joindre|joignez|contactez|contacter|ecrivez|voyez|adressez-vous|vous adresser)\b[^.?!\n]{0,50}@/,
    'points to another contact',
  ],
  [
    /\b(forwarded|forwarding|passed|passing|cc'?ing|cc'?d|copying|looped in|looping in|introduc(ed|ing)) (this |it |you |your (e-?mail|email|message|note) )?(to|on|in|along)\b/,
    'forwarded the email',
  ],
  [
    /\b(handles|owns|manages|is in charge of|is responsible for|takes care of|looks after|runs|handles partnerships) (this|these|that|vendor|our|the|partnerships|it)\b/,
    'names who handles it',
  ],
  [
    /\b(pas|ne suis pas|n'est pas) (la|le) (bon|bonne) (personne|interlocut\w+|contact)\b|\b(ce n'est pas|c'est pas) (moi|de mon ressort|mon domaine|mon role|a moi)\b|\bpas de mon ressort\b/,
    'says they are not the right person',
  ],
  [
    /(?<!vous )\b(voyez|adressez[- ]vous|vous adresser|rapprochez[- ]vous|contactez|contacter|ecrivez|joindre|joignez|s'adresser) (plutot |directement )?(avec|a|au|aupres|notre|mon|ma|le|la)\b/,
    'points to another contact',
  ],
  [
    /\b(s'occupe|s'occupent|gere|gerent|est en charge|est responsable|pilote) (de |des |du |d')?(ces|ce|cette|ca|la|le|les|vos|achats|sujet|questions)\b|\breleve (du|de la|des)\b|\bje m'occupe uniquement\b/,
    'names who handles it',
  ],
  [
    /\b(mets|met|mettons) en copie\b|\b(je )?(transmets|transfere|fais suivre) (votre|ce|le|cet) (message|mail|e-?mail|demande)\b|\bje (le|la|vous) (transmets|transfere)\b/,
    'forwarded the email',
  ],
];

/** The intents a reply's own words show. */
export function humanSignals(ownNorm: string): HumanSignals {
  const all = sentences(ownNorm);
  const injected = all.filter((s) => INJECTION.test(s));
  const kept = all.filter((s) => !INJECTION.test(s));
  const text = kept.join('\n');
  const found: HumanSignals['found'] = {};

  // Opt-outs are read in every sentence, instructions included: honouring one is never a risk.
  const optOut = test(UNSUBSCRIBE, strip(UNSUBSCRIBE_NEGATED, all.join('\n')));
  if (optOut) found.unsubscribe = optOut;

  const meeting = test(MEETING, text);
  const deferral = test(DEFERRAL, text);
  const later = test(LATER, text);
  // "Let's talk in September" is a deferral with a date, not a meeting.
  if (meeting && !(deferral && later)) found.meeting_request = meeting;
  if (deferral && later) found.not_now = `${deferral}, with ${later}`;

  const refusal = test(NOT_INTERESTED, text);
  const sarcasm = SARCASM.test(text);
  const rest = strip(
    [...NOT_INTERESTED, ...NOT_INTERESTED_WEAK].map(([re]) => re),
    text,
  );
  const interest = sarcasm ? null : test(INTERESTED, rest);
  const weakInterest = !interest && !sarcasm && test(INTERESTED_WEAK, rest) !== null;
  if (interest) found.interested = interest;
  else if (weakInterest) found.interested = 'sounds positive';

  const weakRefusal =
    !refusal && !sarcasm && (test(NOT_INTERESTED_WEAK, text) !== null || (deferral !== null && !later));
  if (refusal) found.not_interested = refusal;
  else if (sarcasm) found.not_interested = 'sarcastic refusal';
  else if (weakRefusal)
    found.not_interested = deferral && !later ? 'defers without a time or condition' : 'says it is not for them';

  const referral = test(REFERRAL, text);
  if (referral) found.referral = referral;

  // A question is a sentence that asks and is not already a request of another kind
  // ("Can we talk Tuesday?" is a meeting request, "Could you remove me?" an opt-out).
  // Clauses, so "I'm interested: what is the price?" still asks something.
  const clauses = kept.flatMap((s) => s.split(/\s[:;]\s|;\s/)).map((c) => c.trim());
  const asking = clauses.find((c) => {
    if (RHETORICAL.test(c)) return false;
    if (!(c.includes('?') || QUESTION_START.test(c))) return false;
    if (sarcasm && !/\b(how much|price|pricing|cost|tarif|prix|combien)\b/.test(c)) return false;
    if (test(UNSUBSCRIBE, strip(UNSUBSCRIBE_NEGATED, c))) return false;
    return ![MEETING, DEFERRAL, INTEREST_REQUEST, REFERRAL].some((t) => test(t, c) !== null);
  });
  // "Who is this about? Never mind, found it." takes the question back.
  const retracted = /\b(never ?mind|forget it|laissez tomber|c'est bon,? j'ai trouve|oubliez)\b/.test(text);
  if (asking && !retracted) found.question = 'asks a question';

  return {
    found,
    weakInterest,
    weakRefusal,
    injection: injected.length > 0,
    deferral: deferral !== null,
    later: later !== null,
  };
}
