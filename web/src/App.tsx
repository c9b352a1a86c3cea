import { useQuery } from "@tanstack/react-query";
import { Redirect, Route, Switch } from "wouter";
import { fetchMe } from "./api/queries";
import { ME_KEY } from "./api/query-client";
import { MeProvider } from "./auth";
import { Shell, useLogout } from "./components/Shell";
import { EmptyState, ErrorMessage, Loading } from "./components/states";
import { LoginPage } from "./pages/LoginPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { homePath, pages } from "./routes";

function NoOrganization() {
  const logout = useLogout();
  return (
    <main className="login-page">
      <div className="login-card">
        <EmptyState title="You are not a member of any organization">
          <p>Ask an owner of an organization to add you, then sign in again.</p>
        </EmptyState>
        <button type="button" className="btn btn-block" onClick={() => logout.mutate()}>
          Sign out
        </button>
      </div>
    </main>
  );
}

export function App() {
  const me = useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 60_000 });
  if (me.isPending) {
    return (
      <main className="login-page">
        <Loading label="Loading Lectern…" />
      </main>
    );
  }
  if (me.isError) {
    return (
      <main className="login-page">
        <div className="login-card">
          <ErrorMessage error={me.error} title="Lectern could not load" onRetry={() => void me.refetch()} />
        </div>
      </main>
    );
  }
  if (!me.data) return <LoginPage />;
  if (!me.data.organization_id) {
    return (
      <MeProvider me={me.data}>
        <NoOrganization />
      </MeProvider>
    );
  }
  const permissions = me.data.permissions;
  return (
    <MeProvider me={me.data}>
      <Shell>
        <Switch>
          <Route path="/">
            <Redirect to={homePath(permissions)} replace />
          </Route>
          {pages.map((p) => (
            <Route key={p.path} path={p.path} component={p.component} />
          ))}
          <Route>
            <NotFoundPage />
          </Route>
        </Switch>
      </Shell>
    </MeProvider>
  );
}
