/** A swift in flight, on the accent colour: the favicon and the header mark. */
export const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="8" fill="#2459d6"/>' +
  '<path d="M16 8c1.4 0 2 1.3 2 3 3 .5 7 2.5 11 7-4-1.2-8-1.6-10.8-1L19 25l-3-3.5-3 3.5.8-8C11 16.4 7 16.8 3 18c4-4.5 8-6.5 11-7 0-1.7.6-3 2-3z" fill="#fff"/>' +
  '</svg>\n';
