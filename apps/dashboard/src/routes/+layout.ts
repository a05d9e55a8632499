// A static single-page app: the server serves index.html for every dashboard path.
export const prerender = true;
export const ssr = false;
