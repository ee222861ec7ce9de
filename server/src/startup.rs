//! Builds the axum application (UI pages, server functions, static files, `/healthz`) and
//! serves it.

use crate::backend::ServerBackend;
use crate::config::Settings;
use crate::domain::setup::SetupGate;
use crate::error::{AppError, AppResult};
use crate::scim::activity::{ActivityRecorder, Retention};
use crate::store::Db;
use crate::web;
use axum::routing::get;
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use rollcall_app::backend::BackendHandle;
use rollcall_app::{shell, App};
use std::sync::Arc;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Everything a request handler may need: one shared [`Shared`], so that the clone every
/// middleware layer and extractor makes is one reference count, not twenty (the profile of a
/// SCIM lookup had ~4 % of its CPU in cloning and dropping the fields one by one).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl axum::extract::FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

/// The fields of [`AppState`].
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub settings: Arc<Settings>,
    pub setup: Arc<SetupGate>,
    pub activity: ActivityRecorder,
    pub keys: Arc<crate::scim::auth::KeyCache>,
    pub mailer: Arc<crate::mail::Mailer>,
    pub limiter: crate::domain::rate_limit::Limiter,
}

/// The whole HTTP application for `settings`, on an already migrated database.
pub async fn build_app(settings: Settings, db: Db) -> AppResult<(Router, AppState)> {
    let assets = crate::assets::Assets::load(&settings.site_root, settings.site_root_explicit);
    let leptos_options = LeptosOptions::builder()
        .output_name(assets.leptos_output_name())
        .site_root(settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.listen)
        .env(Env::PROD)
        .build();
    let setup = Arc::new(SetupGate::new(&db).await?);
    let mailer = Arc::new(crate::mail::Mailer::from_settings(
        &settings,
        db.clock().clone(),
    )?);
    mailer.spawn_sender(db.clone());
    let limiter = crate::domain::rate_limit::Limiter::new(db.clone());
    limiter.spawn_sweeper();
    let activity = ActivityRecorder::spawn(
        db.clone(),
        Retention {
            days: settings.activity_days,
            max_rows: settings.activity_max_rows,
        },
    );
    let keys: Arc<crate::scim::auth::KeyCache> = Arc::new(Default::default());
    // What other replicas announce (PostgreSQL): key changes empty this cache, mail queued
    // anywhere wakes this sender (it sends if this replica runs the jobs).
    crate::store::notify::listen(&db, {
        let (keys, mailer) = (keys.clone(), mailer.clone());
        move |notice| {
            use crate::store::notify::{Channel, Notice};
            if matches!(notice, Notice::Changed(Channel::Outbox, _) | Notice::Missed) {
                mailer.wake();
            }
            keys.apply(notice);
        }
    });
    let state = AppState(Arc::new(Shared {
        leptos_options: leptos_options.clone(),
        db: db.clone(),
        settings: Arc::new(settings.clone()),
        setup: setup.clone(),
        activity,
        keys,
        mailer: mailer.clone(),
        limiter: limiter.clone(),
    }));

    let session_store = crate::store::sessions::DbSessionStore::new(db.clone());
    tokio::spawn({
        use tower_sessions::session_store::ExpiredDeletion;
        session_store
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(3600))
    });
    let sessions = SessionManagerLayer::new(session_store)
        .with_name(if settings.secure_cookies() {
            "__Host-rollcall"
        } else {
            "rollcall"
        })
        .with_secure(settings.secure_cookies())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(i64::from(
            settings.session_hours,
        ))));

    let backend = BackendHandle(Arc::new(ServerBackend {
        db: db.clone(),
        setup,
        mailer,
        limiter,
        settings: state.settings.clone(),
        keys: state.keys.clone(),
    }));
    let https = settings.secure_cookies();
    let routes = generate_route_list(App);
    let app = Router::new()
        .route("/healthz", get(web::healthz))
        .merge(
            Router::new()
                .route("/pkg/{file}", get(crate::assets::serve))
                .route("/favicon.svg", get(crate::assets::favicon))
                .with_state(assets),
        )
        .route("/readyz", get(web::readyz))
        .route("/live/activity", get(crate::admin_http::activity_stream))
        .route("/export/users.csv", get(crate::admin_http::users_csv))
        .leptos_routes_with_context(&state, routes, move || provide_context(backend.clone()), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        // SAML needs the session (the ACS starts one) but no CSRF origin check (see web.rs).
        .merge(crate::saml::router())
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Forms are small; refuse a big body before anything reads it (SCIM has its own limit).
        .layer(tower_http::limit::RequestBodyLimitLayer::new(FORM_BODY_MAX))
        .layer(sessions)
        // SCIM uses bearer keys, not the browser session: merged after the session layer.
        .merge(crate::scim::router(&state))
        .layer(axum::middleware::from_fn(web::api_error_status))
        .layer(axum::middleware::from_fn(web::same_origin_writes))
        // No request holds a connection and its task forever (the head of a live feed or a
        // CSV download is answered at once; their bodies are not limited by this).
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            http::StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(state.settings.trusted_proxies.clone()),
            web::peer_address,
        ))
        .layer(axum::middleware::from_fn_with_state(
            https,
            web::security_headers,
        ))
        .layer(axum::middleware::from_fn(web::close_after_refused_body))
        // Outermost: every request has its id and its span before anything else runs.
        .layer(crate::request_log::trace_layer())
        .layer(axum::middleware::from_fn(crate::request_log::assign_id))
        .with_state(state.clone());
    Ok((app, state))
}

/// Binds, announces the address (and the first-run code) and serves until Ctrl-C / SIGTERM.
pub async fn serve(mut settings: Settings, db: Db) -> AppResult<()> {
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| AppError::Internal(format!("cannot listen on {}: {e}", settings.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if !settings.public_url_explicit {
        settings.public_url = crate::config::default_public_url(local)?;
    }
    let site_js = settings.site_root.join("pkg").join("rollcall.js");
    let embedded = crate::assets::embedded_site() && !settings.site_root_explicit;
    if !embedded && !site_js.exists() {
        tracing::warn!(
            "UI assets not found at {} (looked for {}): pages will render but not become interactive. \
             Run `make build`, or pass --site-root / ROLLCALL_SITE_ROOT.",
            settings.site_root.display(),
            site_js.display()
        );
    }
    let public = settings.public_base();
    let max_connections = settings.max_connections as usize;
    let metrics = match settings.metrics_listen {
        Some(addr) => Some((
            crate::telemetry::bind(addr).await?,
            crate::telemetry::install()?,
        )),
        None => None,
    };
    let metrics_db = db.clone();
    let (app, state) = build_app(settings, db).await?;
    // One line on stdout that scripts (and our tests) can read, even with port 0.
    println!("Rollcall listening on http://{local}");
    if let Some((listener, handle)) = metrics {
        let addr = listener
            .local_addr()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        println!("Rollcall metrics on http://{addr}/metrics");
        crate::telemetry::spawn(listener, handle, metrics_db);
    }
    match state.mailer.mode() {
        "smtp" => tracing::info!("mail: sending through SMTP"),
        _ => tracing::info!("mail: no SMTP configured (ROLLCALL_SMTP_URL); invites and resets are kept in the outbox and logged"),
    }
    if let Some(code) = state.setup.code() {
        tracing::warn!("First run: open {public}/ and create your account with set-up code {code}");
        eprintln!("\n  First run: open {public}/ and enter the set-up code  {code}\n");
    } else {
        tracing::info!("open {public}/login");
    }
    let (stopping, mut stop_seen) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stopping.send(true);
    });
    let server = crate::listen::serve(listener, app, max_connections, stop_seen.clone());
    // Stop accepting at the signal; give requests in flight a bounded time to finish (live
    // feeds never would), then write what is queued and exit.
    let grace = async move {
        let _ = stop_seen.wait_for(|s| *s).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let served = tokio::select! {
        () = server => Ok(()),
        _ = grace => {
            tracing::warn!("requests still open after {} s; closing them", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    };
    state.activity.flush().await;
    state.db.close().await;
    tracing::info!("stopped: every acknowledged write is on disk");
    served
}

/// The longest a request may take to be answered (503 after it).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The largest request body of the browser's pages and server functions (forms), in bytes.
pub const FORM_BODY_MAX: usize = 64 * 1024;

/// How long requests in flight may take to finish after SIGTERM / Ctrl-C.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
