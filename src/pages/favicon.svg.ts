/**
 * The site icon, served where Starlight links it by default (/favicon.svg), so there is no
 * public/ folder to keep and no 404 on every page: a ladder's two lifelines and one arrow.
 */
import type { APIRoute } from 'astro';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#1b2b4b"/>
<path d="M8 5v22M24 5v22" stroke="#8eb5ff" stroke-width="2.5"/>
<path d="M8 12h13M17 8l4 4-4 4M24 20H11M15 16l-4 4 4 4" fill="none" stroke="#fff" stroke-width="2.5" stroke-linejoin="round"/>
</svg>`;

/** The icon as SVG. */
export const GET: APIRoute = () =>
  new Response(svg, { headers: { 'Content-Type': 'image/svg+xml' } });
