#!/usr/bin/env python3
"""Generates a sample organisation as LDIF for scripts/slapd.sh.

    gen_org.py [--people N] [--groups G] [--seed S] [--quirks] [--memberof]
               [--out FILE] [--stats FILE]

People go under ou=people and groups (groupOfNames) under ou=groups of
dc=example,dc=com; the suffix, the OUs and the service account come from
tests/fixtures/base.ldif.in.  Output is a pure function of the options
(seeded), so tests can assert exact numbers; --stats writes them as
key=value lines.

G counts every group: cn=harmony-admins plus G-1 team groups named
team-<dept>-<region> (then team-<dept>-<region>-2, -3 ... once every pair
is used), each described "region=<region>".  Every person is in one team
(their departmentNumber is the team's department); one in ten is in a
second one.  Managers form a tree seven wide and several levels deep.

No entryUUID: slapadd generates it.  No memberOf unless --memberof, since
slapadd bypasses the memberof overlay (FIELD-NOTES) and harmony-sync
derives membership from the groups anyway.

--quirks adds the cases a real directory has (needs --people >= 30):
people without mail, two mails differing only by case, non-ASCII names,
a person whose RDN has an escaped comma ("cn=O'Neil\\, Pat") and whose
reports and group membership spell her DN with other case, spacing and
escaping, a three-person manager cycle, a self-manager, a dangling manager
and a dangling group member.
"""
import argparse
import base64
import random
import sys

SUFFIX = "dc=example,dc=com"
PEOPLE = "ou=people," + SUFFIX
GROUPS = "ou=groups," + SUFFIX
DEPTS = ["sales", "support", "success", "engineering", "talent",
         "marketing", "finance", "operations", "legal", "product"]
REGIONS = ["emea", "amer", "apac", "latam", "anz"]
GIVEN = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Dennis", "Margaret",
         "Ken", "Frances", "Edsger", "Radia", "Donald", "Sophie", "Tim",
         "Hedy", "John", "Karen", "Niklaus", "Lynn", "Bjarne", "Anita",
         "Guido", "Shafi", "Leslie", "Mary", "Vint", "Joan", "Robert",
         "Katherine", "Brian", "Ida", "Claude"]
SURNAMES = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Ritchie",
            "Hamilton", "Thompson", "Allen", "Dijkstra", "Perlman", "Knuth",
            "Wilson", "Berners", "Lamarr", "McCarthy", "Jones", "Wirth",
            "Conway", "Stroustrup", "Borg", "Rossum", "Goldwasser",
            "Lamport", "Keller", "Cerf", "Clarke", "Kahn", "Johnson",
            "Kernighan", "Rhodes", "Shannon"]
TITLES = ["Engineer", "Senior Engineer", "Account Executive", "Analyst",
          "Specialist", "Consultant", "Coordinator", "Designer"]
FANOUT = 7
ONEIL_DN = "cn=O'Neil\\, Pat," + PEOPLE
# The same entry as other writers spell it (FIELD-NOTES).
ONEIL_VARIANTS = [
    "CN=O'Neil\\2C Pat, OU=People,dc=example,dc=com",
    "cn=O'Neil\\2c Pat,ou=people,dc=example,dc=com",
    "cn=o'neil\\, pat,ou=People,DC=Example,DC=Com",
]


def ldif_line(name, value):
    """One attribute line; base64 when LDIF's SAFE-STRING does not allow
    the value as is (RFC 2849)."""
    safe = value.isascii() and value.isprintable() and value[:1] not in (
        " ", ":", "<") and not value.endswith(" ")
    if safe:
        return "%s: %s\n" % (name, value)
    b64 = base64.b64encode(value.encode("utf-8")).decode("ascii")
    return "%s:: %s\n" % (name, b64)


class Person:
    __slots__ = ("i", "dn", "uid", "given", "sn", "mail", "manager",
                 "teams", "title", "etype")


def team_names(nteams):
    names = []
    for i in range(nteams):
        dept = DEPTS[i % len(DEPTS)]
        region = REGIONS[(i // len(DEPTS)) % len(REGIONS)]
        rnd = i // (len(DEPTS) * len(REGIONS))
        name = "team-%s-%s" % (dept, region)
        if rnd:
            name += "-%d" % (rnd + 1)
        names.append((name, dept, region))
    return names


def make_people(n, nteams, rng):
    people = []
    for i in range(n):
        p = Person()
        p.i = i
        p.given = GIVEN[rng.randrange(len(GIVEN))]
        p.sn = SURNAMES[rng.randrange(len(SURNAMES))]
        p.uid = "%s%s%d" % (p.given[0].lower(), p.sn.lower(), i)
        p.dn = "uid=%s,%s" % (p.uid, PEOPLE)
        p.mail = p.uid + "@example.com"
        p.manager = None if i == 0 else (i - 1) // FANOUT
        p.teams = [i % nteams] if nteams else []
        if nteams > 1 and rng.random() < 0.1:
            extra = rng.randrange(nteams)
            if extra != p.teams[0]:
                p.teams.append(extra)
        p.title = ("Chief Executive Officer" if i == 0 else
                   "Manager" if i * FANOUT + 1 < n else
                   TITLES[rng.randrange(len(TITLES))])
        r = rng.random()
        p.etype = "contractor" if r < 0.1 else "intern" if r < 0.13 else "employee"
        people.append(p)
    return people


def add_quirks(people):
    """Turns fixed people near the end (leaves of the manager tree) and
    person 1 (a manager) into the quirky cases."""
    n = len(people)
    if n < 30:
        sys.exit("gen_org.py: --quirks needs --people >= 30")
    oneil = people[1]
    oneil.given, oneil.sn, oneil.dn = "Pat", "O'Neil", ONEIL_DN
    oneil.uid, oneil.mail = "poneil", "pat.oneil@example.com"
    reports = [p for p in people if p.manager == 1]
    for k, p in enumerate(reports):
        p.manager = ONEIL_VARIANTS[k % len(ONEIL_VARIANTS)]
    a, b, c = people[n - 3], people[n - 2], people[n - 1]
    a.manager, b.manager, c.manager = n - 2, n - 1, n - 3
    people[n - 4].manager = n - 4
    people[n - 5].manager = "uid=ghost,ou=people,dc=example,dc=com"
    people[n - 6].mail = None
    people[n - 7].mail = None
    people[n - 8].mail = "Dup.Case@example.com"
    people[n - 9].mail = "dup.case@example.com"
    people[n - 10].given, people[n - 10].sn = "José", "Müller"
    people[n - 11].given, people[n - 11].sn = "太郎", "山田"
    people[n - 12].given, people[n - 12].sn = "Renée", "Dupré"


def manager_dn(people, m):
    return people[m].dn if isinstance(m, int) else m


def write_person(out, people, p, group_dns):
    w = out.append
    w("dn: %s\n" % p.dn)
    w("objectClass: inetOrgPerson\n")
    w(ldif_line("uid", p.uid))
    if p.dn == ONEIL_DN:
        w(ldif_line("cn", "O'Neil, Pat"))
    else:
        w(ldif_line("cn", "%s %s" % (p.given, p.sn)))
    w(ldif_line("sn", p.sn))
    w(ldif_line("givenName", p.given))
    w(ldif_line("displayName", "%s %s" % (p.given, p.sn)))
    if p.mail:
        w(ldif_line("mail", p.mail))
    w("employeeNumber: %d\n" % (10000 + p.i))
    if p.teams:
        w("departmentNumber: %s\n" % group_dns[p.teams[0]][1])
    w(ldif_line("title", p.title))
    w("employeeType: %s\n" % p.etype)
    if p.manager is not None:
        w(ldif_line("manager", manager_dn(people, p.manager)))
    for g in getattr(p, "member_of", ()):
        w("memberOf: %s\n" % g)
    w("\n")


def write_group(out, dn, cn, description, members):
    w = out.append
    w("dn: %s\nobjectClass: groupOfNames\ncn: %s\n" % (dn, cn))
    if description:
        w("description: %s\n" % description)
    for m in members:
        w(ldif_line("member", m))
    w("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quirks", action="store_true")
    ap.add_argument("--memberof", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--stats")
    a = ap.parse_args()
    if a.people < 1 or a.groups < 1:
        sys.exit("gen_org.py: --people and --groups must be at least 1")
    rng = random.Random(a.seed)
    teams = team_names(a.groups - 1)
    people = make_people(a.people, len(teams), rng)
    if a.quirks:
        add_quirks(people)

    # Group DNs and members; admins are the CEO and the first managers.
    group_dns = [("cn=%s,%s" % (name, GROUPS), dept, region)
                 for name, dept, region in teams]
    members = [[] for _ in teams]
    for p in people:
        for t in p.teams:
            members[t].append(p.dn)
    admins = [p.dn for p in people[:min(3, len(people))]]
    admins_dn = "cn=harmony-admins," + GROUPS
    if a.quirks:
        # O'Neil as another writer spelled her, and a member that is gone.
        admins[1] = ONEIL_VARIANTS[0]
        admins.append("uid=former,ou=people,dc=example,dc=com")
    for t, ms in enumerate(members):
        if not ms:	# groupOfNames needs a member
            ms.append(people[0].dn)
            people[0].teams.append(t)
    if a.memberof:
        for p in people:
            p.member_of = [group_dns[t][0] for t in p.teams]
        for p in people[:3]:
            p.member_of.append(admins_dn)

    out = []
    for p in people:
        write_person(out, people, p, group_dns)
    write_group(out, admins_dn, "harmony-admins", "Harmony administrators",
                admins)
    for (dn, dept, region), ms in zip(group_dns, members):
        write_group(out, dn, dn[3:dn.index(",")], "region=" + region, ms)

    text = "".join(out)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    if a.stats:
        with_mail = sum(1 for p in people if p.mail)
        nmembers = sum(len(ms) for ms in members) + len(admins)
        with open(a.stats, "w") as f:
            f.write("people=%d\nwith_mail=%d\nwithout_mail=%d\ngroups=%d\n"
                    "memberships=%d\nadmins=%d\n" %
                    (len(people), with_mail, len(people) - with_mail,
                     len(teams) + 1, nmembers, len(admins)))


if __name__ == "__main__":
    main()
