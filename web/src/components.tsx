// Shared UI pieces: the problem+json box, labelled fields, async loading, small layouts.
import type { ComponentChildren, InputHTMLAttributes } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Problem } from "./api";

let fieldSeq = 0;
export function useId(prefix = "f"): string {
  const ref = useRef<string>();
  if (!ref.current) ref.current = `${prefix}-${++fieldSeq}`;
  return ref.current;
}

export function toProblem(err: unknown): Problem {
  if (err instanceof ApiError) return err.problem;
  return { title: "页面出错", detail: String(err), code: "web.unexpected" };
}

/** An RFC 9457 problem as the user reads it: Chinese title, detail, stable code, trace id. */
export function ProblemBox({ problem, onRetry }: { problem: Problem | unknown; onRetry?: () => void }) {
  const p = (problem && typeof problem === "object" && "code" in (problem as object) && "title" in (problem as object))
    ? (problem as Problem)
    : toProblem(problem);
  const missing = Array.isArray(p.missing_items) ? p.missing_items : [];
  return (
    <div class="problem" role="alert" data-problem-code={p.code}>
      <p class="problem-title">
        <strong>{p.title}</strong>
        {p.status ? <span class="problem-status">（HTTP {p.status}）</span> : null}
      </p>
      {p.detail && p.detail !== p.title ? <p class="problem-detail">{p.detail}</p> : null}
      {p.errors?.length ? (
        <ul class="problem-errors">
          {p.errors.map((e) => (
            <li>
              {e.location ? <code>{e.location}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {missing.length ? (
        <div>
          <p>需要补正的材料（一次性告知）：</p>
          <ul>
            {missing.map((m) => (
              <li>{typeof m === "string" ? m : (m as { label?: string; kind?: string }).label ?? JSON.stringify(m)}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <p class="problem-meta">
        错误代码：<code class="problem-code">{p.code}</code>
        {p.trace_id ? <> · 追踪号：<code>{p.trace_id}</code></> : null}
      </p>
      {onRetry ? (
        <button type="button" class="secondary" onClick={onRetry}>
          重试
        </button>
      ) : null}
    </div>
  );
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Run `load` now and whenever `deps` change; keeps the last data while reloading. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Loading / error / content for an Async value. */
export function AsyncView<T>({ value, children }: { value: Async<T>; children: (data: T) => ComponentChildren }) {
  if (value.error) return <ProblemBox problem={value.error} onRetry={value.reload} />;
  if (value.data === undefined) return <Loading />;
  return <>{children(value.data)}</>;
}

export function Loading({ text = "正在加载…" }: { text?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      {text}
    </p>
  );
}

/** A page with its heading; the heading takes focus after navigation. */
export function Page({ title, intro, children, actions }: {
  title: string;
  intro?: ComponentChildren;
  actions?: ComponentChildren;
  children?: ComponentChildren;
}) {
  useEffect(() => {
    document.title = `${title} - 山西省自然资源统一确权登记与交易平台`;
  }, [title]);
  return (
    <section class="page">
      <div class="page-head">
        <h1 tabIndex={-1}>{title}</h1>
        {actions ? <div class="page-actions">{actions}</div> : null}
      </div>
      {intro ? <p class="intro">{intro}</p> : null}
      {children}
    </section>
  );
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "label"> & {
  label: string;
  hint?: string;
  name: string;
  value?: string | number;
  onValue?: (v: string) => void;
};

export function Field({ label, hint, name, onValue, ...rest }: InputProps) {
  const id = useId(name);
  return (
    <div class="field">
      <label for={id}>
        {label}
        {rest.required ? <span class="req" aria-hidden="true"> *</span> : null}
      </label>
      <input
        id={id}
        name={name}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onInput={(e) => onValue?.((e.currentTarget as HTMLInputElement).value)}
        {...rest}
      />
      {hint ? <small id={`${id}-hint`} class="hint">{hint}</small> : null}
    </div>
  );
}

export function SelectField({ label, name, value, options, onValue, required, hint, includeEmpty }: {
  label: string;
  name: string;
  value: string;
  options: Record<string, string> | [string, string][];
  onValue: (v: string) => void;
  required?: boolean;
  hint?: string;
  includeEmpty?: string;
}) {
  const id = useId(name);
  const entries = Array.isArray(options) ? options : Object.entries(options);
  return (
    <div class="field">
      <label for={id}>
        {label}
        {required ? <span class="req" aria-hidden="true"> *</span> : null}
      </label>
      <select id={id} name={name} value={value} required={required}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => onValue((e.currentTarget as HTMLSelectElement).value)}>
        {includeEmpty !== undefined ? <option value="">{includeEmpty}</option> : null}
        {entries.map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
      {hint ? <small id={`${id}-hint`} class="hint">{hint}</small> : null}
    </div>
  );
}

export function TextArea({ label, name, value, onValue, required, rows = 3, hint }: {
  label: string;
  name: string;
  value: string;
  onValue: (v: string) => void;
  required?: boolean;
  rows?: number;
  hint?: string;
}) {
  const id = useId(name);
  return (
    <div class="field">
      <label for={id}>
        {label}
        {required ? <span class="req" aria-hidden="true"> *</span> : null}
      </label>
      <textarea id={id} name={name} rows={rows} required={required} value={value}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onInput={(e) => onValue((e.currentTarget as HTMLTextAreaElement).value)} />
      {hint ? <small id={`${id}-hint`} class="hint">{hint}</small> : null}
    </div>
  );
}

/** Definition list of label → value pairs. */
export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([k, v]) => (
        <div class="fact">
          <dt>{k}</dt>
          <dd>{v ?? "—"}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A button that runs an async action, disables itself meanwhile and reports a problem. */
export function useAction<A extends unknown[]>(fn: (...args: A) => Promise<unknown>) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>(null);
  const run = async (...args: A) => {
    setBusy(true);
    setProblem(null);
    try {
      await fn(...args);
      return true;
    } catch (err) {
      setProblem(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, run, clear: () => setProblem(null) };
}

export function Badge({ tone = "neutral", children }: { tone?: "neutral" | "ok" | "warn" | "bad" | "info"; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}
