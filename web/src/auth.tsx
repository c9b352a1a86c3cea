import { createContext, type ReactNode, useContext } from "react";
import type { Me, Permission } from "./api/types";

const MeContext = createContext<Me | null>(null);

export function MeProvider({ me, children }: { me: Me; children: ReactNode }) {
  return <MeContext.Provider value={me}>{children}</MeContext.Provider>;
}

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe() outside <MeProvider>");
  return me;
}

export function hasPermission(me: Me, permission: Permission): boolean {
  return me.permissions.includes(permission);
}

/** What the signed-in person may do. The server enforces it; the console only hides what would fail. */
export function useCan(permission: Permission): boolean {
  return hasPermission(useMe(), permission);
}

export function Can({
  permission,
  children,
  fallback = null,
}: {
  permission: Permission;
  children: ReactNode;
  fallback?: ReactNode;
}) {
  return useCan(permission) ? children : fallback;
}
