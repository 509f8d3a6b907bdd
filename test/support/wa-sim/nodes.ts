/** Small helpers for building and reading WhatsApp binary nodes in the simulator. */
import { type BinaryNode, getBinaryNodeChild, S_WHATSAPP_NET } from '@whiskeysockets/baileys';

export { S_WHATSAPP_NET };

export function kids(node: BinaryNode | undefined): BinaryNode[] {
  return node && Array.isArray(node.content) ? (node.content as BinaryNode[]) : [];
}

export function kid(node: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return getBinaryNodeChild(node, tag);
}

export function bytes(node: BinaryNode | undefined): Buffer | undefined {
  if (!node) {
    return undefined;
  }
  const c = node.content;
  if (c instanceof Uint8Array) {
    return Buffer.from(c);
  }
  if (typeof c === 'string') {
    return Buffer.from(c, 'utf-8');
  }
  return undefined;
}

export function text(node: BinaryNode | undefined): string | undefined {
  return bytes(node)?.toString('utf-8');
}

export function unixNow(): string {
  return Math.floor(Date.now() / 1000).toString();
}

export function iqResult(req: BinaryNode, content?: BinaryNode[]): BinaryNode {
  const node: BinaryNode = {
    tag: 'iq',
    attrs: { id: req.attrs.id ?? '', type: 'result', from: req.attrs.to ?? S_WHATSAPP_NET },
  };
  if (content) {
    node.content = content;
  }
  return node;
}

export function iqError(req: BinaryNode, code: number, textValue: string): BinaryNode {
  return {
    tag: 'iq',
    attrs: { id: req.attrs.id ?? '', type: 'error', from: req.attrs.to ?? S_WHATSAPP_NET },
    content: [{ tag: 'error', attrs: { code: String(code), text: textValue } }],
  };
}

export function leaf(tag: string, content?: Uint8Array | string, attrs: Record<string, string> = {}): BinaryNode {
  const node: BinaryNode = { tag, attrs };
  if (content !== undefined) {
    node.content = typeof content === 'string' ? Buffer.from(content) : content;
  }
  return node;
}
