// SCIM 2.0 test peer for harmony-sync (tests/integration/scim_*.sh,
// scripts/bench_scim.sh).  Built on SCIMMY + SCIMMY Routers + express.
//
// Data: generated users (manager hierarchy, optional cycle, inactive users)
// and groups (teams, a nested group, optional nesting cycle), or a JSON
// fixture {"Users": [...], "Groups": [...]}.  Every resource is rendered
// once through SCIMMY and cached (FIELD-NOTES: SCIMMY costs ~0.35 ms of CPU
// per user per list read).  Unfiltered list reads are paged here, on the
// cache, because SCIMMY 1.3.5 mis-pages lists sliced before it sees them
// and returns the first page for a startIndex past the end; filtered reads
// and reads by id go through SCIMMY Routers.
//
// Faults for the client's tests: --max-page-size, --token, --fail-429 N,
// --fail-500 N|always, --fail-500-from K, --latency MS, --mutate-after N,
// --bad-json, --wrong-type, --wrap-past-end, --stuck, --tls-cert/--tls-key,
// --oauth-client ID --oauth-secret S (POST /oauth2/token; each grant logs
// "token issued" on stderr), --revoke-tokens-after N (after N API requests
// every token issued so far is rejected: an expired token), with
// --revoke-forever (tokens issued later are rejected too), --raw (serve a
// fixture verbatim, for provider shapes SCIMMY would coerce).
//
// Prints "listening PORT" on stdout once it answers.
import express from "express";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

function parseArgs(argv) {
	const o = {
		port: 0, users: 300, groups: 10, maxPageSize: 0, token: null,
		fail429: 0, fail500: 0, fail500From: 0, latency: 0,
		mutateAfter: 0, badJson: false, wrongType: false,
		wrapPastEnd: false, stuck: false, tlsCert: null, tlsKey: null,
		oauthClient: null, oauthSecret: null, fixture: null, raw: false,
		managerCycle: false, groupCycle: false, inactive: 0,
		retryAfterDate: false, revokeAfter: 0, revokeForever: false,
	};
	const num = (v) => { const n = Number(v); if (!Number.isInteger(n) || n < 0) throw new Error(`bad number '${v}'`); return n; };
	for (let i = 2; i < argv.length; i++) {
		const a = argv[i], v = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
		switch (a) {
		case "--port": o.port = num(v()); break;
		case "--users": o.users = num(v()); break;
		case "--groups": o.groups = num(v()); break;
		case "--max-page-size": o.maxPageSize = num(v()); break;
		case "--token": o.token = v(); break;
		case "--fail-429": o.fail429 = num(v()); break;
		case "--fail-500": { const x = v(); o.fail500 = x === "always" ? Infinity : num(x); break; }
		case "--fail-500-from": o.fail500From = num(v()); break;
		case "--latency": o.latency = num(v()); break;
		case "--mutate-after": o.mutateAfter = num(v()); break;
		case "--bad-json": o.badJson = true; break;
		case "--wrong-type": o.wrongType = true; break;
		case "--wrap-past-end": o.wrapPastEnd = true; break;
		case "--stuck": o.stuck = true; break;
		case "--tls-cert": o.tlsCert = v(); break;
		case "--tls-key": o.tlsKey = v(); break;
		case "--oauth-client": o.oauthClient = v(); break;
		case "--oauth-secret": o.oauthSecret = v(); break;
		case "--fixture": o.fixture = v(); break;
		case "--raw": o.raw = true; break;
		case "--lower-paths": o.lowerPaths = true; break;	// Entra: /users, /groups
		case "--manager-cycle": o.managerCycle = true; break;
		case "--group-cycle": o.groupCycle = true; break;
		case "--inactive": o.inactive = num(v()); break;
		case "--retry-after-date": o.retryAfterDate = true; break;
		case "--revoke-tokens-after": o.revokeAfter = num(v()); break;
		case "--revoke-forever": o.revokeForever = true; break;
		default: throw new Error(`unknown option '${a}'`);
		}
	}
	return o;
}

// Deterministic GUID-like ids, so that id order differs from index order.
function guid(kind, i) {
	let h = 2166136261 ^ kind.charCodeAt(0);
	const parts = [];
	for (let k = 0; k < 4; k++) {
		h = Math.imul(h ^ (i + k * 7919), 16777619) >>> 0;
		parts.push(h.toString(16).padStart(8, "0"));
	}
	const s = parts.join("");
	return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

const STAMP = "2024-01-15T10:00:00.000Z";

// User i reports to user floor((i-1)/5): a five-way tree under user 0.
// --manager-cycle closes a loop among the last three users.
function genUser(o, i) {
	const n = String(i).padStart(6, "0");
	const mail = `user${n}@example.com`;
	const emails = [{ value: mail, type: "work", primary: true }];
	if (i % 3 === 1) emails.unshift({ value: `home${n}@example.net`, type: "home" });
	const ext = { employeeNumber: String(100000 + i), department: `Dept ${i % 7}`, costCenter: `CC${i % 4}` };
	let mgr = i > 0 ? Math.floor((i - 1) / 5) : -1;
	if (o.managerCycle && i >= o.users - 3 && o.users >= 4)
		mgr = i === o.users - 3 ? o.users - 1 : i - 1;
	if (mgr >= 0) ext.manager = { value: guid("u", mgr) };
	return {
		id: guid("u", i), externalId: `ext-${n}`, userName: mail,
		displayName: `User ${n}`,
		name: { givenName: `Given${n}`, familyName: `Family${n}`, formatted: `Given${n} Family${n}` },
		title: i === 0 ? "CEO" : "Engineer",
		emails, active: i < o.users - o.inactive,
		[ENT]: ext,
		meta: { created: STAMP, lastModified: STAMP },
	};
}

// Group g holds users with i % groups == g; "all-teams" nests every team;
// --group-cycle adds two groups that contain each other.
function genGroups(o, users) {
	const groups = [];
	for (let g = 0; g < o.groups; g++) {
		const members = [];
		for (let i = g; i < users.length; i += o.groups)
			members.push({ value: users[i].id, type: "User", display: users[i].displayName });
		groups.push({ id: guid("g", g), displayName: `team-${String(g).padStart(3, "0")}`, externalId: `grp-${g}`, members, meta: { created: STAMP, lastModified: STAMP } });
	}
	if (o.groups > 0) {
		groups.push({ id: guid("g", 100000), displayName: "all-teams", members: groups.map((g) => ({ value: g.id, type: "Group", display: g.displayName })), meta: { created: STAMP, lastModified: STAMP } });
	}
	if (o.groupCycle && users.length > 0) {
		const a = guid("g", 100001), b = guid("g", 100002);
		groups.push({ id: a, displayName: "loop-a", members: [{ value: b, type: "Group" }, { value: users[0].id, type: "User" }], meta: { created: STAMP, lastModified: STAMP } });
		groups.push({ id: b, displayName: "loop-b", members: [{ value: a, type: "Group" }], meta: { created: STAMP, lastModified: STAMP } });
	}
	return groups;
}

function loadData(o) {
	if (o.fixture) {
		const d = JSON.parse(fs.readFileSync(o.fixture, "utf8"));
		return { users: d.Users || [], groups: d.Groups || [] };
	}
	const users = [];
	for (let i = 0; i < o.users; i++) users.push(genUser(o, i));
	return { users, groups: genGroups(o, users) };
}

// Egress leaves filtering to the handler: by id, or by SCIMMY's own Filter.
function select(res, list) {
	if (res.id) return list.filter((r) => r.id === res.id);
	return res.filter ? res.filter.match(list) : list;
}

// The store SCIMMY's egress handlers read; render() points them at a slice.
const store = { users: [], groups: [], slice: null };

SCIMMY.Resources.declare(SCIMMY.Resources.User)
	.egress((res) => store.slice ?? select(res, store.users));
SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser);
SCIMMY.Resources.declare(SCIMMY.Resources.Group)
	.egress((res) => store.slice ?? select(res, store.groups));

// Renders resources through SCIMMY in chunks, returning their JSON text.
async function render(Type, list, raw) {
	if (raw) return list.map((r) => JSON.stringify(r));
	const out = [];
	for (let i = 0; i < list.length; i += 2000) {
		store.slice = list.slice(i, i + 2000);
		try {
			const lr = await new Type({ count: store.slice.length }).read();
			for (const r of lr.Resources) out.push(JSON.stringify(r));
		} finally {
			store.slice = null;
		}
	}
	return out;
}

const cache = { Users: [], Groups: [] };

async function rebuild(o) {
	cache.Users = await render(SCIMMY.Resources.User, store.users, o.raw);
	cache.Groups = await render(SCIMMY.Resources.Group, store.groups, o.raw);
}

// Mid-fetch change: the first five users leave and five new ones arrive,
// shifting every later page (what a client meets on a live directory).
async function mutate(o) {
	const gone = new Set(store.users.slice(0, 5).map((u) => u.id));
	store.users = store.users.slice(5);
	for (let k = 0; k < 5; k++) store.users.push(genUser({ ...o, users: o.users + 5 }, o.users + k));
	for (const g of store.groups) if (g.members) g.members = g.members.filter((m) => !gone.has(m.value));
	await rebuild(o);
}

function scimError(res, status, detail, scimType) {
	const body = { schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: String(status), detail };
	if (scimType) body.scimType = scimType;
	res.status(status).type("application/scim+json").send(JSON.stringify(body));
}

function listPage(o, key, q) {
	const all = cache[key];
	let start = Number.parseInt(q.startIndex ?? "1", 10);
	let count = Number.parseInt(q.count ?? "100", 10);
	if (!Number.isFinite(start) || start < 1) start = 1;
	if (!Number.isFinite(count) || count < 0) count = 100;
	if (o.maxPageSize && count > o.maxPageSize) count = o.maxPageSize;
	if (o.stuck || (o.wrapPastEnd && start > all.length)) start = 1;
	const items = all.slice(start - 1, start - 1 + count);
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":${all.length},` +
		`"startIndex":${start},"itemsPerPage":${items.length},"Resources":[${items.join(",")}]}`;
}

async function main() {
	const o = parseArgs(process.argv);
	const d = loadData(o);
	store.users = d.users;
	store.groups = d.groups;
	await rebuild(o);

	const app = express();
	const tokens = new Set(o.token ? [o.token] : []);
	let nreq = 0, nlist = 0, mutated = false, ntokens = 0, revoked = false;

	app.post("/oauth2/token", express.urlencoded({ extended: false }), (req, res) => {
		const b = req.body || {};
		if (b.grant_type !== "client_credentials" || b.client_id !== o.oauthClient || b.client_secret !== o.oauthSecret || !o.oauthClient) {
			res.status(401).json({ error: "invalid_client", error_description: "bad client credentials" });
			return;
		}
		const t = `oauth-${Date.now()}-${ntokens++}`;
		if (!(revoked && o.revokeForever)) tokens.add(t);
		process.stderr.write("token issued\n");
		res.json({ access_token: t, token_type: "Bearer", expires_in: 3600 });
	});

	app.use(async (req, res, next) => {
		nreq++;
		if (o.revokeAfter && nreq > o.revokeAfter && !revoked) {
			revoked = true;
			tokens.clear();
			tokens.add("\0revoked");	// keeps authentication required
		}
		if (o.latency) await new Promise((r) => setTimeout(r, o.latency));
		const auth = req.header("Authorization") || "";
		if (tokens.size && !(auth.startsWith("Bearer ") && tokens.has(auth.slice(7))))
			return scimError(res, 401, "authorization failure: bad or missing bearer token");
		if (nreq <= o.fail429) {
			const when = o.retryAfterDate ? new Date(Date.now() + 1000).toUTCString() : "1";
			res.set("Retry-After", when);
			return scimError(res, 429, "too many requests");
		}
		if (nreq <= o.fail500 || (o.fail500From && nreq >= o.fail500From))
			return scimError(res, 503, "injected server failure");
		if (o.lowerPaths && /^\/(Users|Groups)/.test(req.path))
			return scimError(res, 404, "no such resource (this server serves /users and /groups)");
		next();
	});

	app.get(/^\/(Users|Groups|users|groups)$/, async (req, res, next) => {
		const q = req.query;
		if (q.filter || q.sortBy || q.attributes || q.excludedAttributes) return next();
		nlist++;
		if (o.mutateAfter && nlist > o.mutateAfter && !mutated) {
			mutated = true;
			await mutate(o);
		}
		const kind = req.params[0][0].toUpperCase() + req.params[0].slice(1);
		let body = listPage(o, kind, q);
		if (o.badJson) body = body.slice(0, Math.floor(body.length / 2));
		res.status(200).type(o.wrongType ? "text/html" : "application/scim+json").send(body);
	});

	app.use("/", new SCIMMYRouters({ type: "bearer", handler: () => "harmony-sync" }));

	const srv = o.tlsCert
		? https.createServer({ cert: fs.readFileSync(o.tlsCert), key: fs.readFileSync(o.tlsKey) }, app)
		: http.createServer(app);
	srv.keepAliveTimeout = 30000;
	srv.listen(o.port, "127.0.0.1", () => {
		process.stdout.write(`listening ${srv.address().port}\n`);
	});
	const stop = () => srv.close(() => process.exit(0));
	process.on("SIGTERM", stop);
	process.on("SIGINT", stop);
}

main().catch((err) => {
	process.stderr.write(`scim test server: ${err.message}\n`);
	process.exit(1);
});
