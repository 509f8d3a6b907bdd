/**
 * The simulated WhatsApp "world" of one simulator: accounts (a phone number + LID + the phone's
 * own Signal device), contacts (PN + LID + a Signal device each) and registered companion
 * devices (the gateway's linked devices, with the keys they uploaded).
 */
import { jidDecode } from '@whiskeysockets/baileys';
import { SignalParty } from './signal-party.ts';

export interface SimAccount {
  /** push name of the account owner */
  name: string;
  /** phone number, digits only (no '+') */
  pn: string;
  /** LID user, digits only */
  lid: string;
  /** the account's own phone, device 0; its identity key is the ADV account signature key */
  phone: SignalParty;
  /** optional business name sent in pair-success (becomes `creds.me.name`) */
  businessName?: string | undefined;
  nextDeviceId: number;
  readonly jid: string;
  readonly lidJid: string;
}

export interface SimContact {
  name: string;
  pn: string;
  lid: string;
  party: SignalParty;
  /** `pn@s.whatsapp.net` */
  readonly jid: string;
  /** `lid@lid` */
  readonly lidJid: string;
  /** `+pn` */
  readonly e164: string;
}

export interface Companion {
  account: SimAccount;
  deviceId: number;
  /** `pn:device@s.whatsapp.net` */
  jid: string;
  /** `lid:device@lid` */
  lidJid: string;
  /** Signal address contacts use for this device */
  address: string;
  noisePub: Buffer;
  identityPub: Buffer;
  registrationId: number;
  signedPreKey: { keyId: number; public: Buffer; signature: Buffer };
  /** one-time pre-keys the companion uploaded that were not handed out yet */
  preKeys: Map<number, Buffer>;
  keyIndex: number;
  /** set once the phone unlinked this device */
  removed: boolean;
}

export interface ContactInit {
  pn?: string;
  lid?: string;
}

export class SimWorld {
  readonly accounts = new Map<string, SimAccount>();
  readonly contacts = new Map<string, SimContact>();
  /** keyed by companion `jid` */
  readonly companions = new Map<string, Companion>();
  readonly defaultAccount: SimAccount;
  private contactCounter = 100;
  private accountCounter = 1;

  constructor(
    readonly seed: string,
    init: { phone?: { pn?: string; lid?: string; name?: string; businessName?: string } } = {},
  ) {
    this.defaultAccount = this.addAccount(init.phone ?? {});
  }

  addAccount(init: { pn?: string; lid?: string; name?: string; businessName?: string } = {}): SimAccount {
    const n = this.accountCounter++;
    const pn = init.pn ?? `6281200000${String(n).padStart(3, '0')}`;
    const lid = init.lid ?? `1900000000${String(n).padStart(5, '0')}`;
    if (this.accounts.has(pn)) {
      throw new Error(`account ${pn} exists`);
    }
    const account: SimAccount = {
      name: init.name ?? `Owner ${n}`,
      pn,
      lid,
      phone: new SignalParty(this.seed, `account/${pn}/phone`),
      businessName: init.businessName,
      nextDeviceId: 2,
      jid: `${pn}@s.whatsapp.net`,
      lidJid: `${lid}@lid`,
    };
    this.accounts.set(pn, account);
    return account;
  }

  addContact(name: string, init: ContactInit = {}): SimContact {
    const n = this.contactCounter++;
    const pn = init.pn ?? `6281300${String(n).padStart(5, '0')}`;
    const lid = init.lid ?? `2900000000${String(n).padStart(5, '0')}`;
    if (this.contacts.has(name)) {
      throw new Error(`contact ${name} exists`);
    }
    const contact: SimContact = {
      name,
      pn,
      lid,
      party: new SignalParty(this.seed, `contact/${pn}`),
      jid: `${pn}@s.whatsapp.net`,
      lidJid: `${lid}@lid`,
      e164: `+${pn}`,
    };
    this.contacts.set(name, contact);
    return contact;
  }

  /** Look a contact up by name, PN digits, E.164, PN JID or LID JID. */
  contact(ref: string | SimContact): SimContact {
    if (typeof ref !== 'string') {
      return ref;
    }
    const direct = this.contacts.get(ref);
    if (direct) {
      return direct;
    }
    const user = ref.startsWith('+') ? ref.slice(1) : (jidDecode(ref)?.user ?? ref);
    for (const c of this.contacts.values()) {
      if (c.pn === user || c.lid === user) {
        return c;
      }
    }
    throw new Error(`unknown contact ${ref}`);
  }

  accountByUser(user: string): SimAccount | undefined {
    for (const a of this.accounts.values()) {
      if (a.pn === user || a.lid === user) {
        return a;
      }
    }
    return undefined;
  }

  companionsOf(account: SimAccount): Companion[] {
    return [...this.companions.values()].filter((c) => c.account === account && !c.removed);
  }

  /** Resolve any user JID (PN or LID, with or without device) to a simulated party. */
  resolve(
    jid: string,
  ):
    | { kind: 'contact'; contact: SimContact; device: number }
    | { kind: 'phone'; account: SimAccount; device: number }
    | { kind: 'companion'; companion: Companion; device: number }
    | undefined {
    const d = jidDecode(jid);
    if (!d?.user) {
      return undefined;
    }
    const device = d.device ?? 0;
    const account = this.accountByUser(d.user);
    if (account) {
      if (device === 0) {
        return { kind: 'phone', account, device };
      }
      const companion = this.companions.get(`${account.pn}:${device}@s.whatsapp.net`);
      return companion && !companion.removed ? { kind: 'companion', companion, device } : undefined;
    }
    for (const c of this.contacts.values()) {
      if ((c.pn === d.user || c.lid === d.user) && device === 0) {
        return { kind: 'contact', contact: c, device };
      }
    }
    return undefined;
  }

  registerCompanion(
    account: SimAccount,
    deviceId: number,
    keys: {
      noisePub: Buffer;
      identityPub: Buffer;
      registrationId: number;
      signedPreKey: { keyId: number; public: Buffer; signature: Buffer };
      keyIndex: number;
    },
  ): Companion {
    const companion: Companion = {
      account,
      deviceId,
      jid: `${account.pn}:${deviceId}@s.whatsapp.net`,
      lidJid: `${account.lid}:${deviceId}@lid`,
      address: `${account.lid}_1.${deviceId}`,
      noisePub: keys.noisePub,
      identityPub: keys.identityPub,
      registrationId: keys.registrationId,
      signedPreKey: keys.signedPreKey,
      preKeys: new Map(),
      keyIndex: keys.keyIndex,
      removed: false,
    };
    this.companions.set(companion.jid, companion);
    if (deviceId >= account.nextDeviceId) {
      account.nextDeviceId = deviceId + 1;
    }
    return companion;
  }
}
