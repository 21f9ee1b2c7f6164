import { describe, expect, it } from 'vitest';
import { ROLES } from '../src/auth';
import { can, capabilities, homePost, inScope, scopePosts } from '../src/roles';

describe('what each role sees and may do', () => {
  it('offers shelving to supervisors only', () => {
    expect(ROLES.filter((role) => capabilities(role).shelve)).toEqual(['supervisor']);
  });

  it('offers incident commands to operators and supervisors only', () => {
    expect(ROLES.filter((role) => capabilities(role).command)).toEqual(['operator', 'supervisor']);
  });

  it('gives auditors and data protection officers a read-only console', () => {
    for (const role of ['auditor', 'data_protection_officer'] as const) {
      const caps = capabilities(role);
      expect(caps.readOnly, role).toBe(true);
      expect(caps.command || caps.shelve, role).toBe(false);
    }
    expect(capabilities('operator').readOnly).toBe(false);
    expect(capabilities('supervisor').readOnly).toBe(false);
  });

  it('shows the queue and the evidence to the data protection officer, not to the auditor or the administrator', () => {
    expect(capabilities('data_protection_officer')).toMatchObject({ incidents: true, imagery: true, live: false, supervision: false });
    expect(capabilities('auditor')).toMatchObject({ incidents: false, imagery: false, sensors: false, live: false });
    expect(capabilities('administrator')).toMatchObject({ incidents: false, imagery: false, sensors: true, supervision: false });
  });

  it('grants nothing to a role it does not know', () => {
    const caps = capabilities('superuser');
    expect(Object.entries(caps).filter(([name, value]) => name !== 'readOnly' && value)).toEqual([]);
    expect(caps.readOnly).toBe(true);
    expect(can('', 'read_incidents')).toBe(false);
  });
});

describe('scopes', () => {
  const operator = { posts: { only: ['securite-espace-public', 'police-municipale'] }, communes: 'all' as const };

  it('lets in what lies in every restricted dimension, and refuses what is unknown there', () => {
    expect(inScope(operator, 'police-municipale', '21231')).toBe(true);
    expect(inScope(operator, 'batiments-publics', '21231')).toBe(false);
    expect(inScope(operator, null, '21231')).toBe(false);
    const commune = { posts: 'all' as const, communes: { only: ['21231'] } };
    expect(inScope(commune, 'batiments-publics', '21231')).toBe(true);
    expect(inScope(commune, 'batiments-publics', '21166')).toBe(false);
    expect(inScope(commune, 'batiments-publics', null)).toBe(false);
    expect(inScope({ posts: 'all', communes: 'all' }, 'x', null)).toBe(true);
  });

  it('lists the scope’s posts in the city’s order, and names the one post of a single-post account', () => {
    const known = ['securite-espace-public', 'police-municipale', 'batiments-publics'];
    expect(scopePosts(operator, known)).toEqual(['securite-espace-public', 'police-municipale']);
    expect(scopePosts({ posts: 'all', communes: 'all' }, known)).toEqual(known);
    expect(homePost({ scope: operator })).toBeNull();
    expect(homePost({ scope: { posts: { only: ['batiments-publics'] }, communes: 'all' } })).toBe('batiments-publics');
    expect(homePost({ scope: { posts: 'all', communes: 'all' } })).toBeNull();
  });
});
