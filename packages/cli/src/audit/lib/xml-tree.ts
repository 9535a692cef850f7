/**
 * The one XML element shape the Android and Cordova checks read, whatever the file was: text XML,
 * binary AXML from an APK, or (later) protobuf XML from an AAB. Attribute keys are local names
 * (`android:debuggable` → `debuggable`): Android only gives meaning to the android namespace here.
 */

/** An element of a decoded XML document. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Text content, when the element has some (e.g. `<domain>api.example.com</domain>`). */
  text: string;
  /** 1-based source line where the decoder knows it. */
  line?: number;
}

/** Direct children with that tag name. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** Every descendant (depth first) with that tag name. */
export function descendantsNamed(element: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const stack = [...element.children].reverse();
  while (stack.length > 0) {
    const next = stack.pop() as XmlElement;
    if (next.name === name) out.push(next);
    for (let i = next.children.length - 1; i >= 0; i--) stack.push(next.children[i] as XmlElement);
  }
  return out;
}

/** True when the attribute is the boolean `true` (AXML booleans are decoded to "true"/"false"). */
export function isTrue(element: XmlElement, attribute: string): boolean {
  return element.attributes[attribute]?.trim().toLowerCase() === 'true';
}

/** Local part of a possibly prefixed XML name. */
export function localName(name: string): string {
  const colon = name.lastIndexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}
