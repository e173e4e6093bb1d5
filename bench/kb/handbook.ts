/**
 * A small labelled corpus for retrieval quality: the handbook of Kettleworks, a fictional company
 * that sells kettles and coffee gear online (English), plus its French staff manual. Every query
 * names the document and section that answers it (see LabelledQuery.kind for the kinds).
 * `paraphrase` queries say the same thing in other words, which full-text search bridges only
 * where a word is shared, or through a synonym the knowledge base declares.
 */

export interface HandbookDoc {
  kb: 'handbook' | 'manuel';
  name: string;
  markdown: string;
}

export interface LabelledQuery {
  query: string;
  /**
   * lexical: shares its key words with the answer; paraphrase: says it in other words; accents:
   * French written without its accents (or English meeting an accented word); inflection: another
   * form of the answer's words (plural, tense, derived noun); compound: a word the answer writes
   * joined or hyphenated, or the reverse; cross-language: asked in English, answered only in the
   * French manual; synonym: bridged only by a synonym the knowledge base declares (SYNONYMS).
   */
  kind: 'lexical' | 'paraphrase' | 'accents' | 'inflection' | 'compound' | 'cross-language' | 'synonym';
  doc: string;
  /** The heading (any level) of the section holding the answer. */
  section: string;
}

const doc = (kb: HandbookDoc['kb'], name: string, markdown: string): HandbookDoc => ({
  kb,
  name,
  markdown: `${markdown.trim()}\n`,
});

export const DOCUMENTS: HandbookDoc[] = [
  doc(
    'handbook',
    'refunds.md',
    `
# Refund policy

## Eligibility
Customers can request a refund within 30 days of delivery. The item must be unused or, for kettles,
descaled and clean. Orders placed during the December holiday season can be refunded until 31 January.

## How refunds are issued
Refunds go back to the original payment method. Card refunds take 5 to 10 business days to appear on
the statement; PayPal refunds are usually instant. We never refund to a different card or as cash.

## Non-refundable items
Gift cards, engraved or personalised kettles, and opened coffee beans cannot be refunded. Damaged items
are handled under the warranty instead.
`,
  ),
  doc(
    'handbook',
    'shipping.md',
    `
# Shipping

## Carriers and delivery times
Domestic orders ship with ParcelLine within 1 business day and arrive in 2 to 4 business days. Express
delivery arrives the next business day if ordered before 2 pm.

## International shipping
We ship to the EU, the UK, Canada and Australia. Customs duties and import VAT are charged to the
recipient by the carrier on arrival; our prices do not include them.

## Lost parcels
If tracking shows no movement for 7 days, or the parcel has not been delivered 10 days after dispatch,
open a carrier investigation. Once the carrier confirms the loss, send a replacement at no charge.
`,
  ),
  doc(
    'handbook',
    'security.md',
    `
# Information security

## Passwords and multi-factor authentication
Use the company password manager for every account. Multi-factor authentication is mandatory for email,
the admin dashboard and the cloud console; hardware keys are preferred over SMS codes.

## Devices
Laptops use full-disk encryption and lock after 5 minutes. A lost or stolen device must be reported to
IT within one hour so it can be wiped remotely.

## Reporting phishing
Forward suspicious emails to security@kettleworks.example and do not open attachments. If you already
entered your credentials on a fake page, change your password at once and tell the security team.
`,
  ),
  doc(
    'handbook',
    'onboarding.md',
    `
# Onboarding new employees

## First week
On day one the new hire meets their manager, collects equipment and signs the confidentiality agreement.
The first week ends with a demo of the product and a tour of the warehouse.

## Accounts and equipment
IT prepares a laptop, a badge and accounts for email, chat and the HR portal before the start date.
Managers file the equipment request at least 5 business days ahead.

## Buddy programme
Every newcomer gets a buddy from another team for their first three months: lunch once a week and
answers to the questions nobody writes down.
`,
  ),
  doc(
    'handbook',
    'pricing.md',
    `
# Pricing

## Brew Club subscription plans
Basic costs €9 per month and ships one bag of beans; Premium costs €19 per month, ships three bags and
includes free descaling tablets. Plans can be paused for up to 3 months.

## Volume discounts for businesses
Cafés, offices and hotels ordering 20 units or more get 15% off; 100 units or more get 25% off and a
dedicated account manager. Quotes are valid for 30 days.

## Price match
If a supported retailer sells the same product for less within 14 days of purchase, we refund the
difference on request.
`,
  ),
  doc(
    'handbook',
    'warranty.md',
    `
# Warranty

## Coverage
Every kettle is covered for 2 years against manufacturing defects, including the heating element, the
thermostat and the base. Grinders are covered for 1 year.

## Exclusions
Damage caused by limescale, dropping the appliance, or using it with the wrong voltage is not covered.

## Making a claim
Claims need the order number and a short video of the fault. Approved claims get a repair or a
replacement within 10 business days.
`,
  ),
  doc(
    'handbook',
    'expenses.md',
    `
# Travel and expenses

## Booking travel
Book flights and hotels through the travel portal at least 14 days ahead. Economy class for flights under
6 hours; trains are preferred for journeys under 4 hours.

## Per diem
The daily allowance for meals is €45 in Europe and €60 elsewhere; alcohol is not reimbursed.

## Receipts and deadlines
Upload receipts to the expense tool within 30 days of the trip. Claims submitted later need a director's
approval.
`,
  ),
  doc(
    'handbook',
    'leave.md',
    `
# Time off

## Vacation
Full-time employees get 25 vacation days a year plus public holidays. Up to 5 unused days carry over to
the next year and expire on 31 March.

## Sick leave
Tell your manager before 10 am on the first day of illness. From the fourth day, a doctor's note is
needed.

## Parental leave
Birth parents get 20 weeks of paid parental leave and partners get 10 weeks, to be taken within the
first year after the birth or adoption.
`,
  ),
  doc(
    'handbook',
    'remote-work.md',
    `
# Remote work

## Core hours
Everyone is reachable between 10:00 and 15:00 local time, whatever their location.

## Home office stipend
Each remote employee gets a one-off €500 stipend for a desk, a chair and a monitor, and €30 a month for
internet.

## Coworking
Coworking memberships are reimbursed up to €200 per month for people living more than 50 km from an
office.
`,
  ),
  doc(
    'handbook',
    'support.md',
    `
# Customer support

## Hours and channels
Support answers chat and phone from 8:00 to 20:00 on weekdays and email every day.

## Response times
First response within 4 hours for email and 2 minutes for chat; business customers with a volume
contract get a 1-hour response target.

## Escalation
Tier 1 agents escalate technical faults to tier 2 product specialists; safety issues such as a kettle
that overheats go straight to the quality team.
`,
  ),
  doc(
    'handbook',
    'returns-warehouse.md',
    `
# Returns processing in the warehouse

## Inspection
Returned goods are inspected within 2 business days of arrival; the inspector photographs the item and
records its condition in the warehouse system.

## Grading and resale
Items in perfect condition go back to stock; items with cosmetic marks are graded B and sold as
refurbished at 30% off; faulty items go to recycling.
`,
  ),
  doc(
    'handbook',
    'data-retention.md',
    `
# Privacy and data retention

## Retention periods
Invoices and accounting records are kept for 10 years; support conversations for 3 years; website
analytics for 13 months.

## Deletion requests
When a customer asks us to delete their personal data under the GDPR, the privacy team answers within
30 days and erases the account, except records the law requires us to keep.
`,
  ),
  doc(
    'handbook',
    'incident-response.md',
    `
# Incident response

## Severity levels
SEV1 means the shop or checkout is down for everyone; SEV2 means a major feature is broken for some
customers; SEV3 is a minor bug with a workaround.

## On-call rotation
Two engineers are on call each week. Out of hours, the pager alerts the primary on-call engineer for SEV1
and SEV2 incidents; the secondary is paged after 15 minutes without acknowledgement.

## Postmortems
Every SEV1 gets a blameless postmortem within 5 business days, with follow-up actions and owners.
`,
  ),
  doc(
    'handbook',
    'procurement.md',
    `
# Procurement

## Approval thresholds
Purchases under €1,000 need the budget owner's approval; up to €10,000 the department head's; above
that, the finance director's.

## Vendor security review
Any new software vendor that will hold customer data goes through a security questionnaire and a data
processing agreement before the contract is signed.
`,
  ),
  doc(
    'handbook',
    'brand.md',
    `
# Brand guidelines

## Tone of voice
Write the way a friendly barista talks: short sentences, plain words, no jargon.

## Logo usage
Use the logo in copper on white or white on charcoal only. Never stretch, recolour or rotate it, and keep
clear space equal to the height of the K around it.
`,
  ),
  doc(
    'handbook',
    'product-care.md',
    `
# Product care

## Descaling
In hard-water areas, descale the kettle every 4 weeks with citric acid or our descaling tablets to remove
limescale deposits from the heating plate.

## Water filter
Replace the water filter cartridge every 2 months, or sooner if the indicator turns red.

## Cleaning
Wipe the outside with a damp cloth; never put the kettle or its base in the dishwasher.
`,
  ),
  doc(
    'handbook',
    'payroll.md',
    `
# Payroll

## Pay dates
Salaries are paid on the 25th of each month; if the 25th falls on a weekend, on the Friday before.
Payslips are available in the HR portal.

## Bonus
The annual bonus is paid with the March salary and depends on company results and individual goals.
`,
  ),
  doc(
    'handbook',
    'engineering.md',
    `
# Engineering practices

## Code review
Every change needs one approving review; changes to payments need two. Reviewers answer within one
business day.

## Deployment freeze
No deployments to production on Fridays after 12:00 or during the Black Friday week, except fixes for
SEV1 incidents.
`,
  ),
  doc(
    'manuel',
    'remboursements.md',
    `
# Politique de remboursement

## Délais
Le client peut demander un remboursement dans les 30 jours suivant la livraison. Le remboursement est
versé sur le moyen de paiement d'origine sous 5 à 10 jours ouvrés.

## Articles exclus
Les cartes cadeaux et les bouilloires gravées ne sont pas remboursables.
`,
  ),
  doc(
    'manuel',
    'livraison.md',
    `
# Livraison

## France et Belgique
Les commandes sont expédiées sous 24 heures et livrées en 2 à 4 jours ouvrés, à domicile ou en point
relais.

## Colis perdu
Si le suivi ne bouge plus pendant 7 jours, ouvrez une enquête auprès du transporteur ; une fois la perte
confirmée, un nouvel envoi est fait gratuitement.
`,
  ),
  doc(
    'manuel',
    'conges.md',
    `
# Congés

## Congés payés
Chaque salarié à temps plein acquiert 25 jours ouvrés de congés payés par an, plus 10 jours de RTT.

## Arrêt maladie
Prévenez votre responsable avant 10 heures et envoyez l'arrêt de travail sous 48 heures.
`,
  ),
  doc(
    'manuel',
    'teletravail.md',
    `
# Télétravail

## Règles
Le télétravail est possible jusqu'à trois jours par semaine, avec l'accord du responsable. Les plages
horaires communes vont de 10 heures à 15 heures.

## Équipement
Une indemnité de 500 euros couvre le bureau, le siège et l'écran ; l'entreprise verse aussi 30 euros par
mois pour la connexion internet.
`,
  ),
  doc(
    'manuel',
    'securite.md',
    `
# Sécurité informatique

## Mots de passe
Utilisez le gestionnaire de mots de passe de l'entreprise. En cas d'oubli, le service informatique
réinitialise le compte après vérification de votre identité.

## Accès à distance
Le VPN est obligatoire pour accéder aux outils internes depuis l'extérieur des bureaux.
`,
  ),
  doc(
    'manuel',
    'garantie.md',
    `
# Garantie

## Couverture
Chaque bouilloire est garantie deux ans contre les défauts de fabrication, y compris la résistance
chauffante, le thermostat et le socle. Les moulins à café sont garantis un an.

## Exclusions
Les dégâts causés par le calcaire, une chute de l'appareil ou une mauvaise tension électrique ne sont pas
couverts.

## Faire une réclamation
Envoyez le numéro de commande et une courte vidéo du défaut. Une réclamation acceptée donne lieu à une
réparation ou à un remplacement sous 10 jours ouvrés.
`,
  ),
  doc(
    'manuel',
    'entretien.md',
    `
# Entretien des produits

## Détartrage
Dans les régions où l'eau est calcaire, détartrez la bouilloire toutes les quatre semaines avec de l'acide
citrique ou nos pastilles détartrantes.

## Filtre à eau
Remplacez la cartouche filtrante tous les deux mois, ou plus tôt si le voyant devient rouge.

## Nettoyage
Essuyez l'extérieur avec un chiffon humide ; ne mettez jamais la bouilloire ni son socle au lave-vaisselle.
`,
  ),
  doc(
    'manuel',
    'frais.md',
    `
# Notes de frais

## Indemnités de repas
L'indemnité journalière de repas est de 45 euros en Europe et de 60 euros ailleurs ; l'alcool n'est pas
remboursé.

## Justificatifs
Déposez les justificatifs dans l'outil de notes de frais dans les 30 jours suivant le déplacement. Au-delà,
l'accord d'un directeur est nécessaire.

## Réservations
Les billets d'avion et les hôtels se réservent sur le portail voyages au moins 14 jours à l'avance ; le
train est préféré pour les trajets de moins de 4 heures.
`,
  ),
  doc(
    'manuel',
    'paie.md',
    `
# Paie

## Versement des salaires
Les salaires sont versés le 25 de chaque mois ; si le 25 tombe un week-end, le vendredi précédent. Les
bulletins de paie sont disponibles sur le portail RH.

## Prime annuelle
La prime annuelle est versée avec le salaire de mars et dépend des résultats de l'entreprise et des
objectifs individuels.
`,
  ),
  doc(
    'manuel',
    'astreinte.md',
    `
# Gestion des incidents

## Niveaux de gravité
SEV1 : la boutique ou le paiement est indisponible pour tous les clients. SEV2 : une fonctionnalité
majeure est cassée pour une partie des clients.

## Astreinte
Deux ingénieurs sont d'astreinte chaque semaine. En dehors des heures ouvrées, le bipeur alerte
l'ingénieur d'astreinte principal ; le second est appelé après 15 minutes sans réponse.
`,
  ),
];

/**
 * The glossaries each knowledge base declares (its `synonyms`), written the way an administrator
 * would list the words their colleagues use for the same thing. Queries of kind `synonym` need
 * them; the bench reports results with and without them.
 */
export const SYNONYMS: Record<HandbookDoc['kb'], string[][]> = {
  handbook: [
    ['refund', 'money back', 'reimbursement'],
    ['parcel', 'package'],
    ['vacation', 'holiday', 'annual leave'],
    ['laptop', 'computer'],
    ['limescale', 'scale'],
    ['salary', 'pay', 'wages'],
  ],
  manuel: [
    ['télétravail', 'travail à domicile', 'travail à distance'],
    ['congés', 'vacances'],
    ['colis', 'paquet'],
    ['salaire', 'rémunération', 'paie'],
    ['détartrage', 'anticalcaire'],
  ],
};

export const QUERIES: LabelledQuery[] = [
  { query: 'how many days do I have to request a refund', kind: 'lexical', doc: 'refunds.md', section: 'Eligibility' },
  {
    query: 'can I get my money back two weeks after it arrived',
    kind: 'paraphrase',
    doc: 'refunds.md',
    section: 'Eligibility',
  },
  {
    query: 'when will the refund appear on my card statement',
    kind: 'lexical',
    doc: 'refunds.md',
    section: 'How refunds are issued',
  },
  { query: 'engraved kettle refund', kind: 'lexical', doc: 'refunds.md', section: 'Non-refundable items' },
  {
    query: 'international shipping customs duties',
    kind: 'lexical',
    doc: 'shipping.md',
    section: 'International shipping',
  },
  {
    query: 'who pays import taxes when ordering from abroad',
    kind: 'paraphrase',
    doc: 'shipping.md',
    section: 'International shipping',
  },
  { query: 'my package never showed up', kind: 'paraphrase', doc: 'shipping.md', section: 'Lost parcels' },
  { query: 'next day express delivery', kind: 'lexical', doc: 'shipping.md', section: 'Carriers and delivery times' },
  {
    query: 'multi-factor authentication mandatory',
    kind: 'lexical',
    doc: 'security.md',
    section: 'Passwords and multi-factor authentication',
  },
  { query: 'someone stole my laptop on the train', kind: 'paraphrase', doc: 'security.md', section: 'Devices' },
  {
    query: 'I typed my login into a fake website',
    kind: 'paraphrase',
    doc: 'security.md',
    section: 'Reporting phishing',
  },
  {
    query: 'what happens on the first day for a new hire',
    kind: 'lexical',
    doc: 'onboarding.md',
    section: 'First week',
  },
  { query: 'mentor for newcomers', kind: 'paraphrase', doc: 'onboarding.md', section: 'Buddy programme' },
  {
    query: 'Premium plan price per month',
    kind: 'lexical',
    doc: 'pricing.md',
    section: 'Brew Club subscription plans',
  },
  {
    query: 'cheaper rate for a coffee shop buying in bulk',
    kind: 'paraphrase',
    doc: 'pricing.md',
    section: 'Volume discounts for businesses',
  },
  { query: 'competitor sells it for less', kind: 'paraphrase', doc: 'pricing.md', section: 'Price match' },
  { query: 'heating element warranty coverage', kind: 'lexical', doc: 'warranty.md', section: 'Coverage' },
  { query: 'I dropped the kettle, is the repair free', kind: 'paraphrase', doc: 'warranty.md', section: 'Exclusions' },
  { query: 'daily meal allowance per diem', kind: 'lexical', doc: 'expenses.md', section: 'Per diem' },
  { query: 'deadline for uploading receipts', kind: 'lexical', doc: 'expenses.md', section: 'Receipts and deadlines' },
  { query: 'how much holiday do I get each year', kind: 'paraphrase', doc: 'leave.md', section: 'Vacation' },
  { query: 'time off when my child is born', kind: 'paraphrase', doc: 'leave.md', section: 'Parental leave' },
  { query: 'doctor note sick leave', kind: 'lexical', doc: 'leave.md', section: 'Sick leave' },
  {
    query: 'money for a desk and chair at home',
    kind: 'paraphrase',
    doc: 'remote-work.md',
    section: 'Home office stipend',
  },
  { query: 'coworking membership reimbursed', kind: 'lexical', doc: 'remote-work.md', section: 'Coworking' },
  {
    query: 'how quickly do agents reply to customers',
    kind: 'paraphrase',
    doc: 'support.md',
    section: 'Response times',
  },
  { query: 'kettle overheats escalation', kind: 'lexical', doc: 'support.md', section: 'Escalation' },
  { query: 'refurbished grade B items', kind: 'lexical', doc: 'returns-warehouse.md', section: 'Grading and resale' },
  {
    query: 'a customer wants us to forget everything about them',
    kind: 'paraphrase',
    doc: 'data-retention.md',
    section: 'Deletion requests',
  },
  { query: 'how long are invoices kept', kind: 'lexical', doc: 'data-retention.md', section: 'Retention periods' },
  {
    query: 'checkout is broken for everybody, how serious is it',
    kind: 'paraphrase',
    doc: 'incident-response.md',
    section: 'Severity levels',
  },
  {
    query: 'who gets woken up at night when the site breaks',
    kind: 'paraphrase',
    doc: 'incident-response.md',
    section: 'On-call rotation',
  },
  { query: 'approval threshold for purchases', kind: 'lexical', doc: 'procurement.md', section: 'Approval thresholds' },
  { query: 'can I change the colour of the logo', kind: 'paraphrase', doc: 'brand.md', section: 'Logo usage' },
  { query: 'white crust inside the kettle', kind: 'paraphrase', doc: 'product-care.md', section: 'Descaling' },
  { query: 'replace water filter cartridge', kind: 'lexical', doc: 'product-care.md', section: 'Water filter' },
  { query: 'when do we get paid', kind: 'paraphrase', doc: 'payroll.md', section: 'Pay dates' },
  { query: 'deploying to production on Friday', kind: 'lexical', doc: 'engineering.md', section: 'Deployment freeze' },
  { query: 'délai de remboursement', kind: 'lexical', doc: 'remboursements.md', section: 'Délais' },
  { query: 'livraison en point relais', kind: 'lexical', doc: 'livraison.md', section: 'France et Belgique' },
  { query: 'mon colis est perdu', kind: 'lexical', doc: 'livraison.md', section: 'Colis perdu' },
  { query: 'combien de jours de vacances par an', kind: 'paraphrase', doc: 'conges.md', section: 'Congés payés' },
  { query: 'travailler depuis la maison', kind: 'paraphrase', doc: 'teletravail.md', section: 'Règles' },
  { query: "j'ai oublié mon mot de passe", kind: 'lexical', doc: 'securite.md', section: 'Mots de passe' },
  // Added with the accent, inflection, compound, cross-language and synonym work (issue #13),
  // labelled before any of it was measured.
  { query: 'delai de remboursement', kind: 'accents', doc: 'remboursements.md', section: 'Délais' },
  { query: 'teletravail equipement indemnite', kind: 'accents', doc: 'teletravail.md', section: 'Équipement' },
  { query: 'conges payes', kind: 'accents', doc: 'conges.md', section: 'Congés payés' },
  { query: 'detartrage de la bouilloire', kind: 'accents', doc: 'entretien.md', section: 'Détartrage' },
  { query: 'cafe volume discount', kind: 'accents', doc: 'pricing.md', section: 'Volume discounts for businesses' },
  { query: 'securite mots de passe oublies', kind: 'accents', doc: 'securite.md', section: 'Mots de passe' },
  { query: 'refunded orders from the holidays', kind: 'inflection', doc: 'refunds.md', section: 'Eligibility' },
  { query: 'date de versement du salaire', kind: 'inflection', doc: 'paie.md', section: 'Versement des salaires' },
  { query: 'comment détartrer une bouilloire', kind: 'inflection', doc: 'entretien.md', section: 'Détartrage' },
  {
    query: 'which engineer is paged first',
    kind: 'inflection',
    doc: 'incident-response.md',
    section: 'On-call rotation',
  },
  { query: 'réclamations sous garantie', kind: 'inflection', doc: 'garantie.md', section: 'Faire une réclamation' },
  { query: 'inspecting returned items', kind: 'inflection', doc: 'returns-warehouse.md', section: 'Inspection' },
  { query: 'can I put the base in the dish washer', kind: 'compound', doc: 'product-care.md', section: 'Cleaning' },
  { query: 'where do I find my pay slips', kind: 'compound', doc: 'payroll.md', section: 'Pay dates' },
  {
    query: 'check out down for all customers',
    kind: 'compound',
    doc: 'incident-response.md',
    section: 'Severity levels',
  },
  { query: 'lave vaisselle', kind: 'compound', doc: 'entretien.md', section: 'Nettoyage' },
  {
    query: 'multifactor login',
    kind: 'compound',
    doc: 'security.md',
    section: 'Passwords and multi-factor authentication',
  },
  { query: 'VPN obligatoire', kind: 'lexical', doc: 'securite.md', section: 'Accès à distance' },
  {
    query: 'is the VPN mandatory when working outside the office',
    kind: 'cross-language',
    doc: 'securite.md',
    section: 'Accès à distance',
  },
  { query: 'RTT days per year', kind: 'cross-language', doc: 'conges.md', section: 'Congés payés' },
  {
    query: 'combien pour le repas en déplacement',
    kind: 'paraphrase',
    doc: 'frais.md',
    section: 'Indemnités de repas',
  },
  { query: 'astreinte le week-end', kind: 'lexical', doc: 'astreinte.md', section: 'Astreinte' },
  {
    query: 'boutique en panne pour tout le monde',
    kind: 'paraphrase',
    doc: 'astreinte.md',
    section: 'Niveaux de gravité',
  },
  {
    query: 'how often should I change the filter',
    kind: 'paraphrase',
    doc: 'product-care.md',
    section: 'Water filter',
  },
  {
    query: 'who approves a 5000 euro purchase',
    kind: 'paraphrase',
    doc: 'procurement.md',
    section: 'Approval thresholds',
  },
  { query: "prime de fin d'année", kind: 'paraphrase', doc: 'paie.md', section: 'Prime annuelle' },
  { query: 'money back for gift cards', kind: 'synonym', doc: 'refunds.md', section: 'Non-refundable items' },
  { query: 'package tracking stuck', kind: 'synonym', doc: 'shipping.md', section: 'Lost parcels' },
  { query: 'annual leave carry over', kind: 'synonym', doc: 'leave.md', section: 'Vacation' },
  { query: 'travail à domicile combien de jours', kind: 'synonym', doc: 'teletravail.md', section: 'Règles' },
  { query: 'rémunération le 25', kind: 'synonym', doc: 'paie.md', section: 'Versement des salaires' },
];
