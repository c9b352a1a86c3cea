import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../api/client";
import { useMe } from "../auth";
import { NAV_SECTIONS, pages } from "../routes";
import { ErrorMessage } from "./states";

function isActive(location: string, path: string): boolean {
  return location === path || location.startsWith(`${path}/`);
}

export function Sidebar() {
  const me = useMe();
  const [location] = useLocation();
  const visible = pages.filter(
    (p) => p.nav && (!p.nav.permission || me.permissions.includes(p.nav.permission)),
  );
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="sidebar-inner">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            L
          </span>
          <span>Lectern</span>
        </Link>
        {NAV_SECTIONS.map((section) => {
          const items = visible.filter((p) => p.nav?.section === section);
          if (items.length === 0) return null;
          return (
            <div className="nav-section" key={section}>
              <p className="nav-heading" id={`nav-${section}`}>
                {section}
              </p>
              <ul aria-labelledby={`nav-${section}`}>
                {items.map((p) => (
                  <li key={p.path}>
                    <Link
                      href={p.path}
                      className={`nav-link ${isActive(location, p.path) ? "active" : ""}`}
                      aria-current={isActive(location, p.path) ? "page" : undefined}
                    >
                      {p.nav?.label}
                    </Link>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
        <div className="nav-footer">
          <a className="nav-link" href="/api/v1/docs" target="_blank" rel="noreferrer">
            API reference ↗
          </a>
        </div>
      </div>
    </nav>
  );
}

export function OrgSwitcher() {
  const me = useMe();
  const qc = useQueryClient();
  const [location, navigate] = useLocation();
  const id = useId();
  const current = me.organizations.find((o) => o.id === me.organization_id);
  const switchOrg = useMutation({
    mutationFn: (organizationId: string) =>
      api("/api/v1/me/organization", { body: { organization_id: organizationId } }),
    onSuccess: async () => {
      // A page of the old org's resource would be a 404 in the new one: go to the section's list.
      navigate(`/${location.split("/")[1] ?? ""}`);
      // Drop every answer from the old org and start over (me included: role and permissions change).
      await qc.resetQueries();
    },
  });
  if (me.organizations.length <= 1) {
    return (
      <div className="org-switcher">
        <span className="org-label">Organization</span>
        <span className="org-name">{current?.name ?? "—"}</span>
      </div>
    );
  }
  return (
    <div className="org-switcher">
      <label htmlFor={id} className="org-label">
        Organization
      </label>
      <select
        id={id}
        value={me.organization_id ?? ""}
        disabled={switchOrg.isPending}
        onChange={(e) => switchOrg.mutate(e.target.value)}
      >
        {me.organizations.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name} ({o.role})
          </option>
        ))}
      </select>
      {switchOrg.error && <ErrorMessage error={switchOrg.error} />}
    </div>
  );
}

export function useLogout() {
  return useMutation({
    mutationFn: () => api("/api/v1/auth/logout", { method: "POST" }),
    // Signed out (or the session was already gone): a full load of "/" drops everything the previous
    // person had in memory (cached answers, a key still on screen) and starts the next one at home.
    onSettled: () => window.location.assign("/"),
  });
}

export function UserMenu() {
  const me = useMe();
  const [open, setOpen] = useState(false);
  const logout = useLogout();
  const ref = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelId = useId();
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);
  const name = me.user?.name || me.user?.email || "Account";
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: Escape closes the menu; its items are buttons
    <div
      className="user-menu"
      ref={ref}
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          setOpen(false);
          buttonRef.current?.focus();
        }
      }}
    >
      <button
        ref={buttonRef}
        type="button"
        className="user-button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="avatar" aria-hidden="true">
          {name.slice(0, 1).toUpperCase()}
        </span>
        <span className="user-name">{name}</span>
        <span className="role-pill">{me.role}</span>
      </button>
      {open && (
        <div className="user-panel" id={panelId}>
          <p className="user-panel-name">{me.user?.name}</p>
          <p className="user-panel-email">{me.user?.email}</p>
          <p className="user-panel-role">Role: {me.role}</p>
          <Link href="/settings" className="btn btn-small btn-block" onClick={() => setOpen(false)}>
            Settings
          </Link>
          <button type="button" className="btn btn-small btn-block" onClick={() => logout.mutate()}>
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Sidebar />
      <div className="main-col">
        <header className="topbar">
          <OrgSwitcher />
          <div className="topbar-spacer" />
          <UserMenu />
        </header>
        <main id="main" tabIndex={-1} className="content">
          {children}
        </main>
      </div>
    </div>
  );
}
