// A tiny DOM builder: `h('button', {class: 'x', onclick: fn}, 'text')`. Text is always set as
// text, never parsed as HTML.

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on') && typeof value === 'function') {
        element.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
      } else if (name === 'class') {
        element.className = String(value);
      } else if (name === 'dataset' && typeof value === 'object') {
        for (const [key, data] of Object.entries(value as Record<string, unknown>)) {
          if (data !== undefined && data !== null) element.dataset[key] = String(data);
        }
      } else if (name === 'style' && typeof value === 'object') {
        Object.assign(element.style, value);
      } else if (name === 'value' && 'value' in element) {
        (element as HTMLInputElement).value = String(value);
      } else if (name === 'checked' || name === 'disabled' || name === 'selected' || name === 'hidden' || name === 'required') {
        (element as unknown as Record<string, boolean>)[name] = Boolean(value);
        if (name === 'disabled' || name === 'hidden' || name === 'required') element.setAttribute(name, '');
      } else {
        element.setAttribute(name, value === true ? '' : String(value));
      }
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Replaces the children of `parent`, keeping the keyboard focus on the element with the same
 * `data-focus` key when there was one.
 */
export function replaceChildren(parent: HTMLElement, ...children: Child[]): void {
  const active = document.activeElement as HTMLElement | null;
  const focusKey = active && parent.contains(active) ? active.dataset.focus : undefined;
  parent.replaceChildren();
  append(parent, children);
  if (focusKey) {
    const again = parent.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focusKey)}"]`);
    if (again && !(again as HTMLButtonElement).disabled) again.focus();
  }
}

export function $(selector: string, root: ParentNode = document): HTMLElement | null {
  return root.querySelector<HTMLElement>(selector);
}
