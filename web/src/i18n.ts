// Every string the console shows, in French (first) and English. `{name}` is replaced by the
// value of the same name.

export type Lang = 'fr' | 'en';
export const LANGS: Lang[] = ['fr', 'en'];

export const table = {
  'app.name': { fr: 'Vigie', en: 'Vigie' },
  'app.tagline': { fr: 'Hyperviseur urbain — console opérateur', en: 'Urban hypervisor — operator console' },
  'app.skip': { fr: 'Aller à la file d’incidents', en: 'Skip to the incident queue' },

  'login.title': { fr: 'Connexion', en: 'Sign in' },
  'login.name': { fr: 'Identifiant', en: 'Login' },
  'login.password': { fr: 'Mot de passe', en: 'Password' },
  'login.language': { fr: 'Langue', en: 'Language' },
  'login.submit': { fr: 'Se connecter', en: 'Sign in' },
  'login.required': { fr: 'Saisissez votre identifiant et votre mot de passe.', en: 'Enter your login and your password.' },
  'login.busy': { fr: 'Vérification…', en: 'Checking…' },
  'login.checking': { fr: 'Vérification de la session…', en: 'Checking the session…' },
  'login.loggedOut': { fr: 'Vous êtes déconnecté.', en: 'You are logged out.' },
  'login.totpTitle': { fr: 'Second facteur', en: 'Second factor' },
  'login.totpIntro': { fr: 'Saisissez le code à 6 chiffres que montre votre application d’authentification.', en: 'Enter the 6-digit code your authenticator app shows.' },
  'login.code': { fr: 'Code à 6 chiffres', en: '6-digit code' },
  'login.codeHint': { fr: 'Le code change toutes les 30 secondes.', en: 'The code changes every 30 seconds.' },
  'login.codeFormat': { fr: 'Le code compte exactement 6 chiffres.', en: 'The code has exactly 6 digits.' },
  'login.verify': { fr: 'Valider le code', en: 'Verify the code' },
  'login.restart': { fr: 'Recommencer avec le mot de passe', en: 'Start again with the password' },
  'login.enrolTitle': { fr: 'Activer la double authentification', en: 'Set up two-factor authentication' },
  'login.enrolIntro': {
    fr: 'Votre compte demande un second facteur. Ajoutez-le à votre application d’authentification (TOTP) : scannez le code QR ou saisissez la clé secrète, puis entrez le premier code qu’elle affiche.',
    en: 'Your account needs a second factor. Add it to your authenticator app (TOTP): scan the QR code or type the secret key, then enter the first code it shows.',
  },
  'login.secret': { fr: 'Clé secrète', en: 'Secret key' },
  'login.secretNote': { fr: 'Ne la communiquez à personne : elle ne sera plus affichée.', en: 'Share it with no one: it will not be shown again.' },
  'login.uri': { fr: 'Lien d’enrôlement', en: 'Enrolment link' },
  'login.qr': { fr: 'Code QR du lien d’enrôlement', en: 'QR code of the enrolment link' },
  'login.firstCode': { fr: 'Premier code à 6 chiffres', en: 'First 6-digit code' },

  'auth.error.badCredentials': { fr: 'Identifiant ou mot de passe incorrect.', en: 'Wrong login or password.' },
  'auth.error.locked': { fr: 'Compte verrouillé après trop d’échecs, jusqu’à {until}.', en: 'Account locked after too many failures, until {until}.' },
  'auth.error.lockedNoTime': { fr: 'Compte verrouillé : un administrateur peut le déverrouiller.', en: 'Account locked: an administrator can unlock it.' },
  'auth.error.tooMany': { fr: 'Trop de tentatives : patientez une minute avant de réessayer.', en: 'Too many attempts: wait a minute before trying again.' },
  'auth.error.tooManyWait': { fr: 'Trop de tentatives : réessayez dans {s} s.', en: 'Too many attempts: try again in {s} s.' },
  'auth.error.csrf': { fr: 'Jeton de session refusé : rechargez la page.', en: 'Session token refused: reload the page.' },
  'auth.error.badCode': { fr: 'Code incorrect. Vérifiez l’heure de votre téléphone et saisissez le code affiché.', en: 'Wrong code. Check your phone’s clock and enter the code shown.' },
  'auth.error.codeReused': { fr: 'Ce code a déjà servi : attendez le suivant (30 secondes au plus).', en: 'This code was already used: wait for the next one (30 seconds at most).' },
  'auth.error.loginExpired': { fr: 'La connexion a expiré : recommencez avec votre mot de passe.', en: 'The sign-in expired: start again with your password.' },
  'auth.error.sessionEnded': { fr: 'Votre session a pris fin : reconnectez-vous.', en: 'Your session has ended: sign in again.' },
  'auth.error.forbidden': { fr: 'Action non autorisée pour votre rôle.', en: 'Not allowed for your role.' },
  'auth.error.outOfScope': { fr: 'Hors de vos postes de commandement ou de vos communes.', en: 'Outside your command posts or communes.' },
  'auth.error.network': { fr: 'Le serveur ne répond pas.', en: 'The server does not answer.' },
  'auth.error.unexpected': { fr: 'Réponse inattendue du serveur ({code}) : {message}', en: 'Unexpected answer from the server ({code}): {message}' },

  'role.operator': { fr: 'Opérateur', en: 'Operator' },
  'role.supervisor': { fr: 'Superviseur', en: 'Supervisor' },
  'role.administrator': { fr: 'Administrateur', en: 'Administrator' },
  'role.auditor': { fr: 'Auditeur', en: 'Auditor' },
  'role.data_protection_officer': { fr: 'Délégué à la protection des données', en: 'Data protection officer' },
  'role.integrator': { fr: 'Intégrateur', en: 'Integrator' },

  'header.user': { fr: 'Connecté', en: 'Signed in' },
  'header.role': { fr: 'Rôle', en: 'Role' },
  'header.post': { fr: 'Poste', en: 'Post' },
  'header.posts': { fr: 'Postes', en: 'Posts' },
  'header.communes': { fr: 'Communes', en: 'Communes' },
  'header.allPosts': { fr: 'tous les postes', en: 'all posts' },
  'header.readOnly': { fr: 'Lecture seule', en: 'Read-only' },
  'header.logout': { fr: 'Se déconnecter', en: 'Log out' },
  'header.theme': { fr: 'Thème clair / sombre (T)', en: 'Light / dark theme (T)' },
  'header.language': { fr: 'English', en: 'Français' },
  'header.languageLabel': { fr: 'Passer en anglais (L)', en: 'Switch to French (L)' },
  'header.mute': { fr: 'Couper l’alerte sonore (M)', en: 'Mute the audible alert (M)' },
  'header.unmute': { fr: 'Rétablir l’alerte sonore (M)', en: 'Unmute the audible alert (M)' },
  'header.help': { fr: 'Raccourcis clavier (?)', en: 'Keyboard shortcuts (?)' },
  'header.clock': { fr: 'Heure', en: 'Time' },

  'access.noIncidents': {
    fr: 'Votre rôle ({role}) ne donne pas accès aux incidents : la console montre la carte de la ville.',
    en: 'Your role ({role}) gives no access to incidents: the console shows the city map.',
  },
  'access.readOnly': { fr: 'Console en lecture seule pour votre rôle ({role}).', en: 'Read-only console for your role ({role}).' },

  'live.connecting': { fr: 'Connexion…', en: 'Connecting…' },
  'live.live': { fr: 'En direct', en: 'Live' },
  'live.reconnecting': { fr: 'Reconnexion…', en: 'Reconnecting…' },
  'live.lastSeq': { fr: 'dernier événement n° {seq}', en: 'last event #{seq}' },
  'live.off': { fr: 'Relu toutes les 30 s', en: 'Read every 30 s' },
  'live.none': { fr: 'Sans direct', en: 'No live feed' },
  'live.noneTitle': { fr: 'Votre rôle ne suit pas les incidents.', en: 'Your role does not follow incidents.' },
  'live.offTitle': { fr: 'Votre rôle ne suit pas le flux en direct : la file est relue toutes les 30 secondes.', en: 'Your role does not follow the live stream: the queue is read again every 30 seconds.' },

  'tabs.queue': { fr: 'File d’incidents', en: 'Incident queue' },
  'tabs.supervision': { fr: 'Supervision', en: 'Supervision' },

  'queue.title': { fr: 'File d’incidents', en: 'Incident queue' },
  'queue.titleAll': { fr: 'File d’incidents — tous les postes', en: 'Incident queue — all posts' },
  'queue.empty': { fr: 'Aucun incident pour ces filtres.', en: 'No incident for these filters.' },
  'queue.counts': { fr: '{total} incidents · {unack} non acquittés · {escalated} escaladés', en: '{total} incidents · {unack} unacknowledged · {escalated} escalated' },
  'queue.filters': { fr: 'Filtres', en: 'Filters' },
  'queue.commune': { fr: 'Commune', en: 'Commune' },
  'queue.category': { fr: 'Catégorie', en: 'Category' },
  'queue.status': { fr: 'État', en: 'Status' },
  'queue.any': { fr: 'Toutes', en: 'All' },
  'queue.active': { fr: 'En cours', en: 'Active' },
  'queue.allStatuses': { fr: 'Tous les états', en: 'All statuses' },
  'queue.since': { fr: 'depuis', en: 'for' },
  'queue.raisedFor': { fr: 'Levé il y a {duration}', en: 'Raised {duration} ago' },
  'queue.escalation': { fr: 'Escalade niv. {level}', en: 'Escalation lvl {level}' },
  'queue.new': { fr: 'Nouveau', en: 'New' },
  'queue.more': { fr: '… et {n} autres (affinez les filtres)', en: '… and {n} more (narrow the filters)' },

  'priority.p1': { fr: 'P1 — critique', en: 'P1 — critical' },
  'priority.p2': { fr: 'P2 — haute', en: 'P2 — high' },
  'priority.p3': { fr: 'P3 — moyenne', en: 'P3 — medium' },
  'priority.p4': { fr: 'P4 — basse', en: 'P4 — low' },

  'status.open': { fr: 'Non acquitté', en: 'Unacknowledged' },
  'status.acknowledged': { fr: 'Acquitté', en: 'Acknowledged' },
  'status.on_hold': { fr: 'En attente', en: 'On hold' },
  'status.resolved': { fr: 'Résolu', en: 'Resolved' },
  'status.closed': { fr: 'Clos', en: 'Closed' },

  'outcome.confirmed': { fr: 'Confirmé', en: 'Confirmed' },
  'outcome.false_alarm': { fr: 'Fausse alarme', en: 'False alarm' },
  'outcome.duplicate': { fr: 'Doublon de {id}', en: 'Duplicate of {id}' },

  'health.ok': { fr: 'En service', en: 'Reporting' },
  'health.silent': { fr: 'Muet', en: 'Silent' },
  'health.never_seen': { fr: 'Jamais entendu', en: 'Never heard' },
  'health.alarm': { fr: 'En alarme', en: 'In alarm' },

  'detail.close': { fr: 'Fermer le détail (Échap)', en: 'Close the detail (Esc)' },
  'detail.loading': { fr: 'Chargement…', en: 'Loading…' },
  'detail.post': { fr: 'Poste', en: 'Post' },
  'detail.commune': { fr: 'Commune', en: 'Commune' },
  'detail.zone': { fr: 'Zone', en: 'Zone' },
  'detail.category': { fr: 'Catégorie', en: 'Category' },
  'detail.raised': { fr: 'Levé à', en: 'Raised at' },
  'detail.acknowledgedAt': { fr: 'Acquitté à', en: 'Acknowledged at' },
  'detail.escalation': { fr: 'Niveau d’escalade', en: 'Escalation level' },
  'detail.alarms': { fr: 'Alarmes rattachées', en: 'Attached alarms' },
  'detail.actions': { fr: 'Actions', en: 'Actions' },
  'detail.acknowledge': { fr: 'Acquitter', en: 'Acknowledge' },
  'detail.escalate': { fr: 'Escalader', en: 'Escalate' },
  'detail.escalateReason': { fr: 'Motif de l’escalade', en: 'Reason for escalation' },
  'detail.assign': { fr: 'Réaffecter', en: 'Reassign' },
  'detail.assignTo': { fr: 'Réaffecter au poste', en: 'Reassign to post' },
  'detail.hold': { fr: 'Mettre en attente', en: 'Put on hold' },
  'detail.holdReason': { fr: 'Motif de la mise en attente', en: 'Reason for the hold' },
  'detail.resume': { fr: 'Reprendre', en: 'Resume' },
  'detail.resolve': { fr: 'Résoudre', en: 'Resolve' },
  'detail.outcome': { fr: 'Issue', en: 'Outcome' },
  'detail.resolveBlocked': { fr: 'Résolution impossible : {n} étape(s) de la fiche réflexe à faire ou à sauter.', en: 'Cannot resolve: {n} playbook step(s) still to do or skip.' },
  'detail.resolveNeedsAck': { fr: 'Acquittez l’incident avant de le résoudre.', en: 'Acknowledge the incident before resolving it.' },
  'detail.close.incident': { fr: 'Clore', en: 'Close' },
  'detail.reopen': { fr: 'Rouvrir', en: 'Reopen' },
  'detail.reopenReason': { fr: 'Motif de la réouverture', en: 'Reason for reopening' },
  'detail.confirm': { fr: 'Valider', en: 'Confirm' },
  'detail.cancel': { fr: 'Annuler', en: 'Cancel' },
  'detail.reasonRequired': { fr: 'Un motif est obligatoire.', en: 'A reason is required.' },

  'playbook.title': { fr: 'Fiche réflexe', en: 'Playbook' },
  'playbook.progress': { fr: '{done} / {total} étapes réglées', en: '{done} / {total} steps settled' },
  'playbook.done': { fr: 'Fait', en: 'Done' },
  'playbook.markDone': { fr: 'Marquer fait', en: 'Mark done' },
  'playbook.skip': { fr: 'Sauter', en: 'Skip' },
  'playbook.skipReason': { fr: 'Motif pour sauter l’étape', en: 'Reason for skipping the step' },
  'playbook.doneBy': { fr: 'Fait par {by} à {at}', en: 'Done by {by} at {at}' },
  'playbook.skippedBy': { fr: 'Sauté par {by} à {at} : {reason}', en: 'Skipped by {by} at {at}: {reason}' },
  'playbook.empty': { fr: 'Pas de fiche réflexe pour cette catégorie.', en: 'No playbook for this category.' },

  'cameras.title': { fr: 'Caméras qui voient l’incident', en: 'Cameras that see the incident' },
  'cameras.none': { fr: 'Aucune caméra ne couvre ce point.', en: 'No camera covers this point.' },
  'cameras.distance': { fr: '{m} m', en: '{m} m' },
  'cameras.snapshot': { fr: 'Image', en: 'Snapshot' },
  'cameras.stream': { fr: 'Flux', en: 'Stream' },
  'cameras.link': { fr: 'Rattacher', en: 'Link' },
  'cameras.linked': { fr: 'Rattachée', en: 'Linked' },
  'cameras.heading': { fr: 'Orientation {deg}° · champ {fov}° · portée {range} m', en: 'Heading {deg}° · field {fov}° · range {range} m' },

  'units.title': { fr: 'Moyens disponibles les plus proches', en: 'Nearest available units' },
  'units.dispatched': { fr: 'Moyens engagés', en: 'Units dispatched' },
  'units.dispatch': { fr: 'Engager', en: 'Dispatch' },
  'units.none': { fr: 'Aucun moyen disponible.', en: 'No unit available.' },
  'units.noneDispatched': { fr: 'Aucun moyen engagé.', en: 'No unit dispatched.' },
  'units.distance': { fr: '{km} km', en: '{km} km' },
  'units.atHome': { fr: 'à sa base', en: 'at base' },
  'units.available': { fr: 'Disponible', en: 'Available' },
  'units.busy': { fr: 'Engagé sur {id}', en: 'Dispatched to {id}' },

  'evidence.title': { fr: 'Preuves', en: 'Evidence' },
  'evidence.blurred': { fr: 'Visages et têtes floutés', en: 'Faces and heads blurred' },
  'evidence.taken': { fr: 'Prise le {at}', en: 'Taken on {at}' },
  'evidence.expires': { fr: 'Expire le {at}', en: 'Expires on {at}' },
  'evidence.open': { fr: 'Agrandir l’image de {camera} prise le {at}', en: 'Enlarge the image from {camera} taken on {at}' },
  'evidence.alt': { fr: 'Image floutée de {camera}, prise le {at}', en: 'Blurred image from {camera}, taken on {at}' },
  'evidence.gone': { fr: 'Image plus disponible : sa durée de conservation est passée.', en: 'Image no longer available: its retention period is over.' },
  'evidence.close': { fr: 'Fermer l’image', en: 'Close the image' },

  'notes.title': { fr: 'Notes', en: 'Notes' },
  'notes.label': { fr: 'Nouvelle note', en: 'New note' },
  'notes.add': { fr: 'Ajouter la note', en: 'Add the note' },

  'timeline.title': { fr: 'Main courante', en: 'Timeline' },
  'timeline.created': { fr: 'Incident ouvert : {title}', en: 'Incident opened: {title}' },
  'timeline.acknowledged': { fr: 'Acquitté', en: 'Acknowledged' },
  'timeline.assigned': { fr: 'Réaffecté de {from} à {to}', en: 'Reassigned from {from} to {to}' },
  'timeline.unit_dispatched': { fr: 'Moyen engagé : {unit}', en: 'Unit dispatched: {unit}' },
  'timeline.note_added': { fr: 'Note : {text}', en: 'Note: {text}' },
  'timeline.camera_linked': { fr: 'Caméra rattachée : {camera}', en: 'Camera linked: {camera}' },
  'timeline.alarm_attached': { fr: 'Alarme rattachée : {message}', en: 'Alarm attached: {message}' },
  'timeline.escalated': { fr: 'Escaladé au niveau {level} : {reason}', en: 'Escalated to level {level}: {reason}' },
  'timeline.escalatedAuto': { fr: 'Escalade automatique au niveau {level} : {reason}', en: 'Automatic escalation to level {level}: {reason}' },
  'timeline.held': { fr: 'Mis en attente : {reason}', en: 'Put on hold: {reason}' },
  'timeline.resumed': { fr: 'Repris', en: 'Resumed' },
  'timeline.step_completed': { fr: 'Étape faite : {step}', en: 'Step done: {step}' },
  'timeline.step_skipped': { fr: 'Étape sautée : {step} ({reason})', en: 'Step skipped: {step} ({reason})' },
  'timeline.resolved': { fr: 'Résolu : {outcome}', en: 'Resolved: {outcome}' },
  'timeline.closed': { fr: 'Clos', en: 'Closed' },
  'timeline.reopened': { fr: 'Rouvert : {reason}', en: 'Reopened: {reason}' },
  'timeline.alarm.raised': { fr: 'Alarme levée : {message}', en: 'Alarm raised: {message}' },
  'timeline.alarm.cleared': { fr: 'Alarme retombée ({rule})', en: 'Alarm cleared ({rule})' },
  'timeline.alarm.shelved': { fr: 'Alarme mise de côté jusqu’à {until} : {reason}', en: 'Alarm shelved until {until}: {reason}' },
  'timeline.alarm.unshelved': { fr: 'Alarme remise en service', en: 'Alarm unshelved' },
  'timeline.other': { fr: 'Événement {kind}', en: 'Event {kind}' },
  'timeline.empty': { fr: 'Rien d’inscrit.', en: 'Nothing logged.' },

  'actor.operator': { fr: '{name}', en: '{name}' },
  'actor.rule': { fr: 'règle {name}', en: 'rule {name}' },
  'actor.system': { fr: 'système ({name})', en: 'system ({name})' },

  'sensor.title': { fr: 'Capteur', en: 'Sensor' },
  'sensor.kind': { fr: 'Type', en: 'Kind' },
  'sensor.last': { fr: 'Dernière valeur', en: 'Last value' },
  'sensor.observedAt': { fr: 'Mesurée à', en: 'Measured at' },
  'sensor.state': { fr: 'État', en: 'State' },
  'sensor.criticality': { fr: 'Criticité', en: 'Criticality' },
  'sensor.period': { fr: 'Période attendue', en: 'Expected period' },
  'sensor.chart': { fr: 'Dernières 24 h (moyenne par minute, min–max)', en: 'Last 24 h (mean per minute, min–max)' },
  'sensor.noData': { fr: 'Aucune mesure sur 24 h.', en: 'No reading in 24 h.' },
  'sensor.none': { fr: 'aucune', en: 'none' },
  'sensor.alarms': { fr: 'Alarmes en cours', en: 'Standing alarms' },
  'sensor.open': { fr: 'Voir le capteur', en: 'Open the sensor' },

  'kind.river_level': { fr: 'Hauteur d’eau', en: 'River level' },
  'kind.rainfall': { fr: 'Pluviométrie', en: 'Rainfall' },
  'kind.smoke': { fr: 'Détecteur de fumée', en: 'Smoke detector' },
  'kind.heat': { fr: 'Détecteur de chaleur', en: 'Heat detector' },
  'kind.intrusion': { fr: 'Intrusion', en: 'Intrusion' },
  'kind.traffic_flow': { fr: 'Débit de trafic', en: 'Traffic flow' },
  'kind.crowd_count': { fr: 'Comptage de foule', en: 'Crowd count' },
  'kind.air_quality': { fr: 'Qualité de l’air', en: 'Air quality' },
  'kind.noise': { fr: 'Bruit', en: 'Noise' },
  'kind.temperature': { fr: 'Température', en: 'Temperature' },
  'kind.video_count': { fr: 'Vidéo — personnes dans la zone', en: 'Video — persons in zone' },
  'kind.video_density': { fr: 'Vidéo — densité', en: 'Video — density' },
  'kind.video_counter_flow': { fr: 'Vidéo — contresens', en: 'Video — counter-flow' },
  'kind.video_intrusion': { fr: 'Vidéo — intrusion en zone interdite', en: 'Video — forbidden-zone intrusion' },
  'kind.video_flow': { fr: 'Vidéo — passages sur ligne', en: 'Video — line crossings' },
  'kind.video_close_pairs': { fr: 'Vidéo — paires à moins d’un mètre', en: 'Video — pairs closer than 1 m' },

  'map.label': { fr: 'Carte de la métropole', en: 'Map of the metropolis' },
  'map.unavailable': { fr: 'Carte indisponible : ce navigateur n’offre pas WebGL. La file et le détail restent utilisables.', en: 'Map unavailable: this browser has no WebGL. The queue and the detail still work.' },
  'map.cluster': { fr: '{n} éléments — cliquer pour zoomer', en: '{n} items — click to zoom in' },
  'map.camera': { fr: 'Caméra', en: 'Camera' },
  'map.unit': { fr: 'Moyen', en: 'Unit' },
  'map.incident': { fr: 'Incident', en: 'Incident' },
  'map.open': { fr: 'Ouvrir', en: 'Open' },
  'map.legend': { fr: 'Légende', en: 'Legend' },
  'map.layers': { fr: 'Couches', en: 'Layers' },
  'map.layer.sensors': { fr: 'Capteurs', en: 'Sensors' },
  'map.layer.cameras': { fr: 'Caméras et champs de vision', en: 'Cameras and fields of view' },
  'map.layer.units': { fr: 'Moyens', en: 'Units' },
  'map.layer.zones': { fr: 'Zones', en: 'Zones' },

  'sup.title': { fr: 'Supervision des alarmes', en: 'Alarm supervision' },
  'sup.rate': { fr: 'Alarmes par poste (10 dernières minutes)', en: 'Alarms per post (last 10 minutes)' },
  'sup.rateChart': { fr: 'Diagramme : alarmes des 10 dernières minutes par poste ; seuil d’inondation {threshold}', en: 'Chart: alarms in the last 10 minutes per post; flood threshold {threshold}' },
  'sup.threshold': { fr: 'seuil {n}', en: 'threshold {n}' },
  'sup.flooded': { fr: 'Inondation d’alarmes', en: 'Alarm flood' },
  'sup.post': { fr: 'Poste', en: 'Post' },
  'sup.alarms10': { fr: 'Alarmes / 10 min', en: 'Alarms / 10 min' },
  'sup.unack': { fr: 'Non acquittés', en: 'Unacknowledged' },
  'sup.standingCol': { fr: 'En cours', en: 'Standing' },
  'sup.tta': { fr: 'Délai d’acquit. (médiane)', en: 'Time to ack. (median)' },
  'sup.standing': { fr: 'Alarmes en cours', en: 'Standing alarms' },
  'sup.shelved': { fr: 'Alarmes mises de côté', en: 'Shelved alarms' },
  'sup.noneStanding': { fr: 'Aucune alarme en cours.', en: 'No standing alarm.' },
  'sup.noneShelved': { fr: 'Aucune alarme mise de côté.', en: 'No shelved alarm.' },
  'sup.shelvedFlag': { fr: 'mise de côté', en: 'shelved' },
  'sup.shelfUntil': { fr: 'jusqu’à {until}, par {by} : {reason}', en: 'until {until}, by {by}: {reason}' },
  'sup.chattering': { fr: 'Alarmes bavardes', en: 'Chattering alarms' },
  'sup.totals': { fr: '{raised} levées · {cleared} retombées depuis le démarrage', en: '{raised} raised · {cleared} cleared since start' },
  'sup.refresh': { fr: 'Actualiser', en: 'Refresh' },
  'sup.shelve': { fr: 'Mettre en sommeil', en: 'Shelve' },
  'sup.unshelve': { fr: 'Réveiller', en: 'Unshelve' },
  'sup.shelveTitle': { fr: 'Mettre en sommeil : {rule} · {subject}', en: 'Shelve: {rule} · {subject}' },
  'sup.shelveReason': { fr: 'Motif de la mise en sommeil', en: 'Reason for shelving' },
  'sup.shelveDuration': { fr: 'Durée', en: 'Duration' },
  'sup.minutes': { fr: '{n} min', en: '{n} min' },
  'sup.hours': { fr: '{n} h', en: '{n} h' },
  'sup.days': { fr: '{n} j', en: '{n} d' },

  'help.title': { fr: 'Raccourcis clavier', en: 'Keyboard shortcuts' },
  'help.next': { fr: 'Incident suivant de la file', en: 'Next incident in the queue' },
  'help.prev': { fr: 'Incident précédent de la file', en: 'Previous incident in the queue' },
  'help.ack': { fr: 'Acquitter l’incident sélectionné', en: 'Acknowledge the selected incident' },
  'help.mute': { fr: 'Couper / rétablir l’alerte sonore', en: 'Mute / unmute the audible alert' },
  'help.theme': { fr: 'Thème clair / sombre', en: 'Light / dark theme' },
  'help.lang': { fr: 'Français / anglais', en: 'French / English' },
  'help.sup': { fr: 'File / supervision', en: 'Queue / supervision' },
  'help.focusMap': { fr: 'Centrer la carte sur l’incident', en: 'Centre the map on the incident' },
  'help.esc': { fr: 'Fermer le détail ou cette aide', en: 'Close the detail or this help' },
  'help.help': { fr: 'Afficher cette aide', en: 'Show this help' },
  'help.close': { fr: 'Fermer', en: 'Close' },
  'help.escKey': { fr: 'Échap', en: 'Esc' },

  'toast.error': { fr: 'Refusé ({code}) : {message}', en: 'Refused ({code}): {message}' },
  'toast.network': { fr: 'Le serveur ne répond pas.', en: 'The server does not answer.' },
  'toast.newP1': { fr: 'Nouvel incident P1 : {title}', en: 'New P1 incident: {title}' },
  'toast.done': { fr: 'Enregistré.', en: 'Recorded.' },
  'toast.muted': { fr: 'Alerte sonore coupée.', en: 'Audible alert muted.' },
  'toast.unmuted': { fr: 'Alerte sonore rétablie.', en: 'Audible alert on.' },

  'time.justNow': { fr: 'à l’instant', en: 'just now' },
  'time.minutes': { fr: '{n} min', en: '{n} min' },
  'time.seconds': { fr: '{n} s', en: '{n} s' },
  'time.days': { fr: '{d} j {h} h', en: '{d} d {h} h' },
} as const satisfies Record<string, Record<Lang, string>>;

export type Key = keyof typeof table;

let current: Lang = 'fr';
const listeners = new Set<(lang: Lang) => void>();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  for (const listener of listeners) listener(next);
}

export function onLangChange(listener: (lang: Lang) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The placeholders (`{name}`) of a string, sorted. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '').sort();
}

export function format(text: string, vars?: Record<string, string | number>): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The text of `key` in the current language (or `in`). */
export function t(key: Key, vars?: Record<string, string | number>, inLang: Lang = current): string {
  const entry = table[key] as Record<Lang, string> | undefined;
  if (!entry) return key;
  return format(entry[inLang] ?? entry.fr, vars);
}

/** Picks the French or English member of a pair such as `title_fr` / `title_en`. */
export function pick<T extends Record<string, unknown>>(item: T, base: string, inLang: Lang = current): string {
  const value = item[`${base}_${inLang}`] ?? item[`${base}_fr`] ?? item[base];
  return typeof value === 'string' ? value : '';
}
